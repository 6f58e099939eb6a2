import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// The text lines of `ctwatch list` and `ctwatch events`, compared with what
/// `conntrack -L -o id` / `conntrack -E -o id` printed for the same entries.
///
/// The differences ctwatch makes on purpose, removed from conntrack's line before comparing:
/// - conntrack pads the protocol name (`%-8s`) and the event tag (`%9s`); ctwatch writes one space;
/// - ctwatch omits `mark=0` and `use=N` (mark is printed when non-zero);
/// - on DESTROY ctwatch omits the timeout (`showTimeout: false`), and conntrack's
///   `[USERSPACE] portid=N progname=P` (who deleted the entry) has no ctwatch counterpart;
/// - conntrack-tools 1.4.7 has no name for some protocols and prints `unknown` (IGMP here), where
///   ctwatch prints the IANA keyword;
/// - with `nf_conntrack_timestamp=1` conntrack prints the age as `delta-time=N`; ctwatch's
///   text leaves it out (the JSON has `event.start`).
/// `id=` comes last in both. Protocol 58 is `icmpv6` in both texts (the JSON says `ipv6-icmp`, as ECS does).
@Suite("Conntrack-style text")
struct ConntrackTextTests {
    static func normalized(_ line: String, kind: EventKind?) -> String {
        var tokens = line.split(separator: " ").map(String.init)
        tokens.removeAll { $0 == "mark=0" || $0.hasPrefix("use=") || $0.hasPrefix("delta-time=") }
        if let userspace = tokens.firstIndex(of: "[USERSPACE]") { tokens.removeSubrange(userspace...) }
        let protocolIndex = kind == nil ? 0 : 1
        if tokens[protocolIndex] == "unknown", let number = UInt8(tokens[protocolIndex + 1]) {
            tokens[protocolIndex] = JSONLineSchema.ianaKeywords[number] ?? String(number)
        }
        if kind == .destroy, tokens.count > 3, tokens[3].allSatisfy(\.isNumber) { tokens.remove(at: 3) }
        return tokens.joined(separator: " ")
    }

    static func text(_ flow: Flow) -> String {
        var out: [UInt8] = []
        FlowFormatter.appendConntrackText(flow, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("A listed entry prints as conntrack -L -o id prints it", arguments: RecordedFlows.listed)
    func listLine(record: RecordedFlow) {
        let expected = Self.normalized(record.conntrackLine, kind: nil)
        let actual = Self.text(record.flow)
        #expect(actual == expected)
        #expect(!actual.contains("\n"))
    }

    @Test("An event prints as conntrack -E -o id prints it, after an RFC 3339 time", arguments: RecordedFlows.events)
    func eventLine(record: RecordedFlow) throws {
        let kind = try #require(record.event)
        // The time conntrack -E -o timestamp printed for the first event of session 1.
        let received = WallTime(nanoseconds: 1_795_739_438_758_684_000)
        var out: [UInt8] = []
        EventFormatter.appendText(ConntrackEvent(kind: kind, flow: record.flow, received: received), to: &out)
        let line = String(decoding: out, as: UTF8.self)
        #expect(line.hasPrefix("2026-11-27T00:30:38.758684Z "))
        #expect(line.hasSuffix("\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let body = String(line.dropFirst("2026-11-27T00:30:38.758684Z ".count).dropLast())
        #expect(body == Self.normalized(record.conntrackLine, kind: kind))
    }

    @Test("The seed's stuck flow, exactly")
    func seedLine() {
        let flow = RecordedFlows.named("list, bridge-nf off", "ipv4", "SYN_SENT").flow
        #expect(
            Self.text(flow)
                == "tcp 6 115 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=49920 dport=8080 [UNREPLIED] "
                + "src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=49920 id=2328799569")
    }

    @Test("Counters, mark and zone print where conntrack puts them")
    func countersMarkZone() {
        let flow = RecordedFlows.named("list, acct+timestamp+mark+zone", "tcp").flow
        #expect(
            Self.text(flow)
                == "tcp 6 113 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=55416 dport=8080 packets=1 bytes=60 "
                + "[UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=55416 packets=0 bytes=0 mark=7 zone=3 id=125454413"
        )
    }

    @Test("A flow without id or timeout prints neither")
    func noIdNoTimeout() {
        var flow = RecordedFlows.named("list", "udp ipv4 id=1436272656").flow
        flow.id = nil
        flow.timeout = nil
        #expect(
            Self.text(flow)
                == "udp 17 src=10.224.1.34 dst=10.224.1.56 sport=35511 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=35511"
        )
    }

    @Test(
        "The short tuple of the JSON message",
        arguments: [
            (
                RecordedFlows.named("list, bridge-nf off", "ipv4", "SYN_SENT"),
                "10.224.1.34:49920 -> 10.233.53.172:8080 => 10.224.1.56:8080"
            ),
            (
                RecordedFlows.named("list, bridge-nf off", "ipv6", "SYN_SENT"),
                "[fd00:224:1::34]:46816 -> [fd00:233::172]:8080 => [fd00:224:1::56]:8080"
            ),
            (RecordedFlows.named("list", "tcp ipv4 TIME_WAIT id=3224741003"), "10.224.1.34:56702 -> 10.224.1.56:8080"),
            (RecordedFlows.named("list", "icmp ipv4"), "10.224.1.34 -> 10.224.1.56"),
            (RecordedFlows.named("list", "ipv6-icmp"), "fd00:224:1::34 -> fd00:224:1::56"),
        ])
    func shortTuple(record: RecordedFlow, expected: String) {
        var out: [UInt8] = []
        FlowFormatter.appendShortTuple(record.flow, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }
}
