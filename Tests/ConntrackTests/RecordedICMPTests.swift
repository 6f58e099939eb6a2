import Conntrack
import Foundation
import TestSupport
import Testing

/// Decoding the ICMP parts of both tuples from netlink bytes the kernel sent.
///
/// Fixtures/netlink/icmp-dump.bin is what `record.py icmp-dump.bin dump` received
/// in a scratch namespace with only `lo` up and an nftables rule
/// `ct state new counter` in its output hook, after one raw ICMP echo request
/// (8) and timestamp request (13) to 127.0.0.1 and one ICMPv6 echo request (128)
/// and node information query (139) to ::1, with ICMP id 1000 + type (the
/// sender of Tests/IntegrationTests/ICMPReplyTests.swift);
/// icmp-dump-conntrack-L.txt is `conntrack -L -o id` right after.
@Suite("Recorded ICMP netlink messages")
struct RecordedICMPTests {
    @Test("both tuples' ICMP type, code and id decode to what conntrack -L printed")
    func replyTuples() throws {
        let decoded = try Conntrack.decode(netlinkMessages: RecordedMessagesTests.bytes("icmp-dump"))
        let text = try String(
            contentsOf: RecordedMessagesTests.fixture("icmp-dump-conntrack-L", "txt"), encoding: .utf8)
        let truth = text.split(separator: "\n").compactMap { TestSupport.ConntrackLine(String($0)) }
        #expect(decoded.done)
        #expect(truth.count == 4 && decoded.entries.count == 4)
        #expect(Set(truth.compactMap(\.original.icmpType)) == [8, 13, 128, 139])
        for line in truth {
            let entry = try #require(decoded.entries.first { $0.flow.id == line.id }, "no entry for \(line)")
            let original = try #require(entry.flow.icmp, "\(line)")
            let reply = try #require(entry.flow.replyICMP, "\(line)")
            #expect(
                original
                    == ICMPInfo(type: line.original.icmpType!, code: line.original.icmpCode!, id: line.original.icmpID!)
            )
            #expect(reply == ICMPInfo(type: line.reply.icmpType!, code: line.reply.icmpCode!, id: line.reply.icmpID!))
        }
        // The node information query's reply is 140, which the kernel worked out itself.
        let query = try #require(decoded.entries.first { $0.flow.icmp?.type == 139 })
        #expect(query.flow.replyICMP == ICMPInfo(type: 140, code: 0, id: 1139))
    }

    /// The offsets of the attributes of `type` directly inside bytes[start..<end] (netlink attributes, 4-byte aligned).
    static func attributes(_ bytes: [UInt8], _ start: Int, _ end: Int, type: UInt16) -> [Int] {
        var found: [Int] = []
        var offset = start
        while offset + 4 <= end {
            let length = Int(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
            let kind = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x3fff  // NLA_TYPE_MASK
            guard length >= 4 else { break }
            if kind == type { found.append(offset) }
            offset += (length + 3) & ~3
        }
        return found
    }

    @Test("a reply tuple whose ICMP part is not all there gives no replyICMP, and the entry still decodes")
    func incompleteReply() throws {
        var bytes = try RecordedMessagesTests.bytes("icmp-dump")
        // In each message: CTA_TUPLE_REPLY (2) > CTA_TUPLE_PROTO (2) > CTA_PROTO_ICMPV6_TYPE (8) holding 140.
        var patched = 0
        var message = 0
        while message + 16 <= bytes.count {
            let length = RecordedMessagesTests.header(bytes, at: message).length
            guard length >= 16 else { break }
            for reply in Self.attributes(bytes, message + 20, message + length, type: 2) {
                let replyEnd = reply + Int(UInt16(bytes[reply]) | UInt16(bytes[reply + 1]) << 8)
                for proto in Self.attributes(bytes, reply + 4, replyEnd, type: 2) {
                    let protoEnd = proto + Int(UInt16(bytes[proto]) | UInt16(bytes[proto + 1]) << 8)
                    for type in Self.attributes(bytes, proto + 4, protoEnd, type: 8) where bytes[type + 4] == 140 {
                        bytes[type + 2] = 0  // now CTA_PROTO_UNSPEC: the reply's type is missing
                        patched += 1
                    }
                }
            }
            message += (length + 3) & ~3
        }
        try #require(patched == 1, "the node information query's reply type, once")
        let decoded = try Conntrack.decode(netlinkMessages: bytes)
        #expect(decoded.entries.count == 4)
        let query = try #require(decoded.entries.first { $0.flow.icmp?.type == 139 })
        #expect(query.flow.replyICMP == nil)
        #expect(decoded.entries.filter { $0.flow.replyICMP != nil }.count == 3)
    }

    @Test("flows of other protocols have no ICMP parts")
    func noICMPElsewhere() throws {
        let decoded = try Conntrack.decode(netlinkMessages: RecordedMessagesTests.bytes("dump"))
        #expect(!decoded.entries.isEmpty)
        for entry in decoded.entries {
            #expect(entry.flow.icmp == nil && entry.flow.replyICMP == nil, "\(entry.flow)")
        }
    }
}
