import Conntrack
import Foundation
import Testing
import TestSupport

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
        let text = try String(contentsOf: RecordedMessagesTests.fixture("icmp-dump-conntrack-L", "txt"), encoding: .utf8)
        let truth = text.split(separator: "\n").compactMap { TestSupport.ConntrackLine(String($0)) }
        #expect(decoded.done)
        #expect(truth.count == 4 && decoded.entries.count == 4)
        #expect(Set(truth.compactMap(\.original.icmpType)) == [8, 13, 128, 139])
        for line in truth {
            let entry = try #require(decoded.entries.first { $0.flow.id == line.id }, "no entry for \(line)")
            let original = try #require(entry.flow.icmp, "\(line)")
            let reply = try #require(entry.flow.replyICMP, "\(line)")
            #expect(original == ICMPInfo(type: line.original.icmpType!, code: line.original.icmpCode!, id: line.original.icmpID!))
            #expect(reply == ICMPInfo(type: line.reply.icmpType!, code: line.reply.icmpCode!, id: line.reply.icmpID!))
        }
        // The node information query's reply is 140, which the kernel worked out itself.
        let query = try #require(decoded.entries.first { $0.flow.icmp?.type == 139 })
        #expect(query.flow.replyICMP == ICMPInfo(type: 140, code: 0, id: 1139))
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
