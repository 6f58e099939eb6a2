import Conntrack
import Foundation
import TestSupport
import Testing

/// The ctnetlink decoder (`ctw_flow_decode`) held to libnetfilter_conntrack's
/// own parser (TestSupport's LibraryReference) on the recorded messages and on
/// hand-built ones, and to its rules for malformed input.
@Suite("ctnetlink decoder")
struct DecoderTests {
    @Test(
        "recorded dumps and events decode as libnetfilter_conntrack decodes them",
        arguments: ["dump", "events", "icmp-dump"])
    func recorded(_ name: String) throws {
        let bytes = try RecordedMessagesTests.bytes(name)
        let reference = LibraryReference.decode(netlinkMessages: bytes)
        #expect(reference.count >= 4)
        #expect(LibraryReference.comparable(try Conntrack.decode(netlinkMessages: bytes).entries) == reference)
    }

    // MARK: hand-built messages

    /// A netlink attribute: type, then the payload padded to 4 bytes.
    static func attribute(_ type: Int, _ payload: [UInt8], nested: Bool = false) -> [UInt8] {
        var bytes = le16(UInt16(4 + payload.count)) + le16(UInt16(type) | (nested ? 0x8000 : 0)) + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }
    static func nest(_ type: Int, _ children: [[UInt8]]) -> [UInt8] {
        attribute(type, children.flatMap { $0 }, nested: true)
    }
    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func be16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    static func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    static func be64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }

    /// One IPCTNL_MSG_CT_NEW event (NLM_F_CREATE) of `family` carrying `attributes`.
    static func message(family: UInt8 = 2, _ attributes: [[UInt8]]) -> [UInt8] {
        let body: [UInt8] = [family, 0, 0, 0] + attributes.flatMap { $0 }
        var header = le32(UInt32(16 + body.count))
        header += le16(0x0100)  // ctnetlink, IPCTNL_MSG_CT_NEW
        header += le16(0x0400)  // NLM_F_CREATE
        header += le32(0) + le32(0)
        return header + body
    }

    // Attribute numbers from linux/netfilter/nfnetlink_conntrack.h.
    static func tuple(_ type: Int, source: UInt32, destination: UInt32, sport: UInt16, dport: UInt16) -> [UInt8] {
        nest(
            type,
            [
                nest(1, [attribute(1, be32(source)), attribute(2, be32(destination))]),
                nest(2, [attribute(1, [6]), attribute(2, be16(sport)), attribute(3, be16(dport))]),
            ])
    }

    static let fullEntry: [[UInt8]] = [
        tuple(1, source: 0x0A_E0_01_22, destination: 0x0A_E9_35_AC, sport: 40000, dport: 80),
        tuple(2, source: 0x0A_E0_01_38, destination: 0x0A_E0_01_22, sport: 8080, dport: 40000),
        attribute(3, be32(0x1A8)),  // status: CONFIRMED, DST_NAT and both NAT_DONE bits
        nest(4, [nest(1, [attribute(1, [2]), attribute(4, [0, 0])])]),  // protoinfo: TCP SYN_RECV (2), flags
        attribute(7, be32(117)),  // timeout
        attribute(8, be32(0xDEAD_BEEF)),  // mark
        nest(9, [attribute(5, []), attribute(1, be64(3)), attribute(2, be64(180))]),  // counters, after a pad
        nest(10, [attribute(3, be32(2)), attribute(4, be32(120))]),  // reply counters in their 32-bit form
        attribute(11, be32(1)),  // use
        attribute(12, be32(0x1234_5678)),  // id
        attribute(18, be16(7)),  // zone
        nest(20, [attribute(1, be64(1_700_000_000_000_000_000)), attribute(2, be64(1_700_000_001_000_000_000))]),
        attribute(99, [1, 2, 3]),  // an attribute from a newer kernel
    ]

    @Test("every field of a hand-built entry, in host order, as the library reads it")
    func handBuilt() throws {
        let bytes = Self.message(Self.fullEntry)
        let decoded = try Conntrack.decode(netlinkMessages: bytes)
        let flow = try #require(decoded.entries.first?.flow)
        #expect(decoded.entries.first?.kind == .new)
        #expect(flow.original.source.description == "10.224.1.34")
        #expect(flow.original.destination.description == "10.233.53.172")
        #expect(flow.reply.source.description == "10.224.1.56")
        #expect(flow.original.sourcePort == 40000 && flow.reply.sourcePort == 8080)
        #expect(flow.transport == .tcp && flow.tcpState?.description == "SYN_RECV")
        #expect(flow.status.rawValue == 0x1A8)
        #expect(flow.timeout == 117 && flow.mark == 0xDEAD_BEEF && flow.zone == 7 && flow.id == 0x1234_5678)
        #expect(
            flow.counters
                == Counters(originalPackets: 3, originalBytes: 180, replyPackets: 2, replyBytes: 120))
        #expect(flow.startNanoseconds == 1_700_000_000_000_000_000)
        #expect(flow.stopNanoseconds == 1_700_000_001_000_000_000)
        #expect(LibraryReference.comparable(decoded.entries) == LibraryReference.decode(netlinkMessages: bytes))
    }

    @Test("an entry without optional attributes has none, as the library reads it")
    func sparse() throws {
        let bytes = Self.message([Self.tuple(1, source: 1, destination: 2, sport: 3, dport: 4)])
        let decoded = try Conntrack.decode(netlinkMessages: bytes)
        let flow = try #require(decoded.entries.first?.flow)
        #expect(flow.timeout == nil && flow.id == nil && flow.counters == nil && flow.tcpState == nil)
        #expect(flow.startNanoseconds == nil && flow.stopNanoseconds == nil)
        #expect(LibraryReference.comparable(decoded.entries) == LibraryReference.decode(netlinkMessages: bytes))
    }

    /// libnetfilter_conntrack ends the process on these ("ctnetlink kernel
    /// ABI is broken", exit status 1): they are not given to the reference.
    @Test("an attribute the decoder reads with the wrong size makes its message malformed: skipped, the next one kept")
    func wrongSize() throws {
        let good = Self.message(Self.fullEntry)
        let cases: [[UInt8]] = [
            Self.attribute(3, Self.be16(1)),  // status, 2 bytes
            Self.attribute(7, Self.be64(1)),  // timeout, 8 bytes
            Self.attribute(18, Self.be32(7)),  // zone, 4 bytes
            Self.nest(20, [Self.attribute(1, Self.be32(1))]),  // timestamp start, 4 bytes
            Self.nest(9, [Self.attribute(1, Self.be32(1))]),  // 64-bit packets, 4 bytes
            Self.nest(1, [Self.nest(1, [Self.attribute(3, Self.be32(1))])]),  // an IPv6 address of 4 bytes
            Self.nest(1, [Self.nest(2, [Self.attribute(2, [1])])]),  // a port of 1 byte
            Self.attribute(1, [1, 2]),  // a tuple nest too short for an attribute header
        ]
        for bad in cases {
            let bytes = Self.message(Self.fullEntry + [bad]) + good
            let decoded = try Conntrack.decode(netlinkMessages: bytes)
            #expect(decoded.entries.count == 1, "\(bad)")
            #expect(decoded.entries.first?.flow.mark == 0xDEAD_BEEF, "\(bad)")
        }
    }

    @Test("an attribute longer than what is left of its message ends the walk there, as in libmnl")
    func overrun() throws {
        var bytes = Self.message(Self.fullEntry)
        // The mark attribute (after both tuples, status, protoinfo and timeout) claims 255 bytes.
        let markOffset = 20 + Self.fullEntry[0..<5].reduce(0) { $0 + $1.count }
        #expect(bytes[markOffset + 2] == 8)
        bytes[markOffset] = 255
        let flow = try #require(try Conntrack.decode(netlinkMessages: bytes).entries.first?.flow)
        #expect(flow.timeout == 117, "what came before is kept")
        #expect(flow.mark == 0 && flow.id == nil && flow.counters == nil, "nothing after is read")
    }

    @Test("every truncation and every single-byte change of a recorded message decodes or is skipped, without a crash")
    func corrupted() throws {
        let bytes = try RecordedMessagesTests.bytes("events")
        let first = Int(RecordedMessagesTests.header(bytes, at: 0).length)
        let message = Array(bytes[0..<first])
        // Shorter and shorter: the length field says less than the buffer holds.
        for length in stride(from: first, through: 16, by: -1) {
            var cut = message
            cut.replaceSubrange(0..<4, with: Self.le32(UInt32(length)))
            let decoded = try Conntrack.decode(netlinkMessages: Array(cut[0..<length]))
            #expect(decoded.entries.count <= 1)
        }
        // Every byte of the attributes, set to each of a few values.
        for index in 20..<first {
            for value: UInt8 in [0x00, 0x03, 0x04, 0x05, 0x7F, 0x80, 0xFF] {
                var changed = message
                changed[index] = value
                let decoded = try Conntrack.decode(netlinkMessages: changed)
                #expect(decoded.entries.count <= 1)
            }
        }
        #expect(try Conntrack.decode(netlinkMessages: message).entries.count == 1)
    }
}
