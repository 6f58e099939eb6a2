import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// Protocol names and ICMP reply types in ctwatch's output, held against
/// entries recorded from the kernel (Fixtures/flows/session4-*, see its
/// README.md) and against the IANA registry.
@Suite("Protocol names and ICMP replies")
struct OutputProtocolTests {
    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    /// An ICMPv6 node information query (type 139) to ::1, which nothing answers.
    static let nodeInformationQueryLine =
        "icmpv6   58 29 src=::1 dst=::1 type=139 code=0 id=2 [UNREPLIED] src=::1 dst=::1 type=140 code=0 id=2 mark=0 use=1 id=3978763967"
    static let nodeInformationQuery = Flow(
        family: .ipv6, transport: .icmpv6,
        original: Tuple(source: ip("::1"), destination: ip("::1")),
        reply: Tuple(source: ip("::1"), destination: ip("::1")),
        icmp: ICMPInfo(type: 139, code: 0, id: 2), replyICMP: ICMPInfo(type: 140, code: 0, id: 2),
        status: [.confirmed], timeout: 29, id: 3_978_763_967)

    /// Entries of protocols conntrack tracks generically (no ports), as `conntrack -L -o id` printed them.
    static let generic: [(line: String, flow: Flow, keyword: String?)] = {
        func entry(_ number: UInt8, _ address: String, _ id: UInt32, _ keyword: String?) -> (String, Flow, String?) {
            let v6 = address.contains(":")
            let line =
                "unknown  \(number) 599 src=\(address) dst=\(address) [UNREPLIED] src=\(address) dst=\(address) mark=0 use=1 id=\(id)"
            let flow = Flow(
                family: v6 ? .ipv6 : .ipv4, transport: TransportProtocol(rawValue: number),
                original: Tuple(source: ip(address), destination: ip(address)),
                reply: Tuple(source: ip(address), destination: ip(address)),
                status: [.confirmed], timeout: 599, id: id)
            return (line, flow, keyword)
        }
        return [
            entry(50, "::1", 3_911_045_204, "esp"),
            entry(253, "127.0.0.1", 2_121_637_331, nil),
            entry(51, "127.0.0.1", 1_020_679_253, "ah"),
            entry(143, "127.0.0.1", 1_563_990_420, "ethernet"),
            entry(50, "127.0.0.1", 3_910_587_565, "esp"),
        ]
    }()

    static func text(_ flow: Flow) -> String {
        var out: [UInt8] = []
        FlowFormatter.appendConntrackText(flow, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func jsonLine(_ flow: Flow) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        EventFormatter.appendJSON(
            ConntrackEvent(kind: .new, flow: flow, received: WallTime(nanoseconds: 1_795_739_438_758_684_000)),
            into: &json)
        return json.bytes
    }

    @Test("The recorded entries are in their transcripts, verbatim")
    func transcripts() throws {
        #expect(try FlowFixtures.lines("session4-conntrack-L-icmpv6-ni.txt").contains(Self.nodeInformationQueryLine))
        let lines = try FlowFixtures.lines("session4-conntrack-L-protocols.txt")
        for entry in Self.generic { #expect(lines.contains(entry.line)) }
    }

    @Test("ICMPv6 139: the reply tuple prints type 140, as the kernel holds it")
    func nodeInformationReply() {
        let expected = ConntrackTextTests.normalized(Self.nodeInformationQueryLine, kind: nil)
        #expect(Self.text(Self.nodeInformationQuery) == expected)
        #expect(Self.text(Self.nodeInformationQuery).contains("[UNREPLIED] src=::1 dst=::1 type=140 code=0 id=2"))
    }

    /// The kernel's reply tuple is printed as it is (`Flow.replyICMP`), never
    /// worked out from the original's type: Tests/IntegrationTests/ICMPReplyTests.swift
    /// holds every request type the kernel tracks against conntrack's listing.
    @Test("The reply tuple's type, code and id are the flow's replyICMP, not a table's counterpart")
    func replyFromKernel() {
        var flow = Self.nodeInformationQuery
        flow.replyICMP = ICMPInfo(type: 139, code: 3, id: 9)
        #expect(Self.text(flow).contains("type=139 code=0 id=2 [UNREPLIED] src=::1 dst=::1 type=139 code=3 id=9 id="))
        flow.replyICMP = nil
        #expect(
            Self.text(flow).contains("[UNREPLIED] src=::1 dst=::1 id=3978763967"),
            "no reply part was sent: none is made up")
    }

    @Test(
        "network.transport is the IANA keyword of generic protocols, and absent where IANA has none",
        arguments: Self.generic.indices)
    func genericTransport(index: Int) throws {
        let entry = Self.generic[index]
        let value = try StrictJSON.parse(Self.jsonLine(entry.flow))
        #expect(value[path: "network", "transport"] == entry.keyword.map { .string($0) })
        #expect(value[path: "network", "iana_number"] == .string(String(entry.flow.transport.rawValue)))
        let conntrack = try #require(ConntrackLine(entry.line))
        let problems = JSONLineSchema.conntrackProblems(value, entry: conntrack)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(
        "The keywords the schema names, as IANA spells them",
        arguments: [
            (UInt8(33), "dccp"), (47, "gre"), (50, "esp"), (51, "ah"), (58, "ipv6-icmp"), (132, "sctp"),
            (136, "udplite"),
            (0, "hopopt"), (4, "ipv4"), (41, "ipv6"), (89, "ospfigp"), (143, "ethernet"), (147, "bit-emu"),
        ])
    func keywords(number: UInt8, keyword: String) throws {
        #expect(TransportProtocol(rawValue: number).description == keyword)
        #expect(TransportProtocol(name: keyword) == TransportProtocol(rawValue: number))
        var flow = RecordedFlows.named("list, bridge-nf on: igmp").flow
        flow.transport = TransportProtocol(rawValue: number)
        let value = try StrictJSON.parse(Self.jsonLine(flow))
        #expect(value[path: "network", "transport"] == .string(keyword))
    }

    @Test("network.transport is never a number, for any protocol number")
    func neverANumber() throws {
        var flow = RecordedFlows.named("list, bridge-nf on: igmp").flow
        var wrong: [String] = []
        for number in UInt8.min...UInt8.max {
            flow.transport = TransportProtocol(rawValue: number)
            let value = try StrictJSON.parse(Self.jsonLine(flow))
            wrong += JSONLineSchema.transportProblems(value, number: number).map { "\(number): \($0)" }
        }
        #expect(wrong.isEmpty, "\(wrong)")
    }

    @Test("Every keyword parses back to its number")
    func keywordsParse() {
        for number in UInt8.min...UInt8.max {
            let transport = TransportProtocol(rawValue: number)
            guard transport.staticName != nil else { continue }
            #expect(TransportProtocol(name: transport.description) == transport, "\(number)")
            #expect(TransportProtocol(name: transport.description.uppercased()) == transport, "\(number)")
        }
        #expect(TransportProtocol(name: "icmpv6") == .icmpv6)
        #expect(TransportProtocol(name: "nonsense") == nil)
    }
}
