import Conntrack
import Testing

/// RecordedFlow is one conntrack entry read from the kernel in the test bed,
/// turned into a `Flow` literal, next to the line `conntrack` printed for the
/// same entry (and, in the fixtures, the line ctwatch printed).
///
/// Recorded on Debian 12, kernel 6.18, conntrack-tools 1.4.7, in three sessions;
/// the raw transcripts are in Tests/CTWatchCoreTests/Fixtures/flows/ (see its
/// README.md). Statuses come from ctwatch's JSON of the same entry (conntrack
/// prints only [UNREPLIED] and [ASSURED]); timeouts from the conntrack line.
public struct RecordedFlow: Sendable, CustomTestStringConvertible {
    /// What the entry is, for test names.
    public var name: String
    /// The commands that produced the entry.
    public var recordedWith: String
    /// nil for a `conntrack -L` entry, the event kind for a `conntrack -E` line.
    public var event: EventKind?
    /// The line `conntrack -L -o id` or `conntrack -E -o id` printed for the entry
    /// (for -E without the leading timestamp and tab).
    public var conntrackLine: String
    /// The transcript (Fixtures/flows/...) that holds `conntrackLine`.
    public var conntrackFixture: String
    /// The transcript of ctwatch's JSON lines of the same session, and the 1-based line of this entry in it.
    public var ctwatchFixture: String
    public var ctwatchLine: Int
    public var flow: Flow

    public var testDescription: String { name }
}

/// RecordedFlows is the catalogue of recorded entries.
public enum RecordedFlows {
    static func ip(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { fatalError("bad address literal \(text)") }
        return address
    }

    static let session1ListOn = """
        Scripts/testbed --name ctwrec up (bridge-nf on); call; call --udp; call --ipv6; call --ipv6 --udp; \
        exec a ping -c1 10.224.1.56; exec a ping -6 -c1 fd00:224:1::56; \
        then `Scripts/testbed --name ctwrec conntrack -L -o id` and `ctwatch list --netns ctwrec-node --json`
        """
    static let session1ListOff = """
        after session1ListOn: Scripts/testbed --name ctwrec bridge-nf off; call --timeout 2; call --ipv6 --timeout 2 \
        (both time out); then `Scripts/testbed --name ctwrec conntrack -L -o id` and `ctwatch list --netns ctwrec-node --json`
        """
    static let session2List = """
        Scripts/testbed --name ctwrec2 up (bridge-nf on); call --from b; call --to routed; call --to pod; \
        call --to pod --udp; call --from b --ipv6 --udp; then `Scripts/testbed --name ctwrec2 conntrack -L -o id` \
        and `ctwatch list --netns ctwrec2-node --json`
        """
    static let session1Events = """
        `ip netns exec ctwrec-node conntrack -E -o id,timestamp` and `ctwatch events --netns ctwrec-node --json` \
        running through session1ListOn and session1ListOff, then `Scripts/testbed --name ctwrec conntrack -D` \
        of the TCP, SYN_SENT, ICMP, ICMPv6 and UDP entries (the IPv6 UDP entry expired by itself)
        """
    static let session2Events = """
        `ip netns exec ctwrec2-node conntrack -E -o id` and `ctwatch events --netns ctwrec2-node --json` \
        running through session2List
        """
    static let session3List = """
        Scripts/testbed --name ctwrec3 up; in ctwrec3-node: sysctl net.netfilter.nf_conntrack_acct=1 \
        net.netfilter.nf_conntrack_timestamp=1; iptables -t mangle -A PREROUTING -s 10.224.1.34 -j CONNMARK --set-mark 7; \
        iptables -t raw -A PREROUTING -s 10.224.1.34 -j CT --zone 3; iptables -t raw -A OUTPUT -d 10.224.1.34 -j CT --zone 3; \
        call; call --udp (both time out: the replies fall in zone 0); then `Scripts/testbed --name ctwrec3 conntrack -L -o id` \
        and `ctwatch list --netns ctwrec3-node --json`
        """
    static let session3Events = """
        `ip netns exec ctwrec3-node conntrack -E -o id,timestamp` and `ctwatch events --netns ctwrec3-node --json` \
        running through session3List, then `Scripts/testbed --name ctwrec3 conntrack -D -p tcp -w 3`
        """

    /// Every recorded entry: list entries first, then events in the order received.
    public static let all: [RecordedFlow] = [
        RecordedFlow(
            name: "list, bridge-nf on: igmp ipv4 UNREPLIED id=2628800646",
            recordedWith: session1ListOn,
            event: nil,
            conntrackLine:
                "unknown  2 592 src=10.224.1.1 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=10.224.1.1 mark=0 use=1 id=2628800646",
            conntrackFixture: "session1-conntrack-L-bridge-nf-on.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-on.json", ctwatchLine: 1,
            flow: Flow(
                family: .ipv4,
                transport: .igmp,
                original: Tuple(source: ip("10.224.1.1"), destination: ip("224.0.0.22")),
                reply: Tuple(source: ip("224.0.0.22"), destination: ip("10.224.1.1")),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 592,
                id: 2628800646)),
        RecordedFlow(
            name: "list, bridge-nf on: udp ipv6 DNAT id=1647701881",
            recordedWith: session1ListOn,
            event: nil,
            conntrackLine:
                "udp      17 22 src=fd00:224:1::34 dst=fd00:233::172 sport=50791 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=50791 mark=0 use=1 id=1647701881",
            conntrackFixture: "session1-conntrack-L-bridge-nf-on.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-on.json", ctwatchLine: 2,
            flow: Flow(
                family: .ipv6,
                transport: .udp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 50791,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 50791),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 22,
                id: 1647701881)),
        RecordedFlow(
            name: "list, bridge-nf on: udp ipv4 DNAT id=4124779589",
            recordedWith: session1ListOn,
            event: nil,
            conntrackLine:
                "udp      17 22 src=10.224.1.34 dst=10.233.53.172 sport=39359 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=39359 mark=0 use=1 id=4124779589",
            conntrackFixture: "session1-conntrack-L-bridge-nf-on.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-on.json", ctwatchLine: 3,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 39359,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 39359),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 22,
                id: 4124779589)),
        RecordedFlow(
            name: "list, bridge-nf on: icmp ipv4 id=2746674519",
            recordedWith: session1ListOn,
            event: nil,
            conntrackLine:
                "icmp     1 29 src=10.224.1.34 dst=10.224.1.56 type=8 code=0 id=16622 src=10.224.1.56 dst=10.224.1.34 type=0 code=0 id=16622 mark=0 use=1 id=2746674519",
            conntrackFixture: "session1-conntrack-L-bridge-nf-on.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-on.json", ctwatchLine: 4,
            flow: Flow(
                family: .ipv4,
                transport: .icmp,
                original: Tuple(source: ip("10.224.1.34"), destination: ip("10.224.1.56")),
                reply: Tuple(source: ip("10.224.1.56"), destination: ip("10.224.1.34")),
                icmp: ICMPInfo(type: 8, code: 0, id: 16622),
                replyICMP: ICMPInfo(type: 0, code: 0, id: 16622),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone],
                timeout: 29,
                id: 2746674519)),
        RecordedFlow(
            name: "list, bridge-nf on: tcp ipv6 TIME_WAIT DNAT id=1346449965",
            recordedWith: session1ListOn,
            event: nil,
            conntrackLine:
                "tcp      6 112 TIME_WAIT src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 [ASSURED] mark=0 use=1 id=1346449965",
            conntrackFixture: "session1-conntrack-L-bridge-nf-on.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-on.json", ctwatchLine: 5,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 112,
                id: 1346449965)),
        RecordedFlow(
            name: "list, bridge-nf on: tcp ipv4 TIME_WAIT DNAT id=3669039363",
            recordedWith: session1ListOn,
            event: nil,
            conntrackLine:
                "tcp      6 112 TIME_WAIT src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 [ASSURED] mark=0 use=1 id=3669039363",
            conntrackFixture: "session1-conntrack-L-bridge-nf-on.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-on.json", ctwatchLine: 6,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 112,
                id: 3669039363)),
        RecordedFlow(
            name: "list, bridge-nf on: ipv6-icmp ipv6 id=2672482765",
            recordedWith: session1ListOn,
            event: nil,
            conntrackLine:
                "icmpv6   58 29 src=fd00:224:1::34 dst=fd00:224:1::56 type=128 code=0 id=16627 src=fd00:224:1::56 dst=fd00:224:1::34 type=129 code=0 id=16627 mark=0 use=1 id=2672482765",
            conntrackFixture: "session1-conntrack-L-bridge-nf-on.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-on.json", ctwatchLine: 7,
            flow: Flow(
                family: .ipv6,
                transport: .icmpv6,
                original: Tuple(source: ip("fd00:224:1::34"), destination: ip("fd00:224:1::56")),
                reply: Tuple(source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34")),
                icmp: ICMPInfo(type: 128, code: 0, id: 16627),
                replyICMP: ICMPInfo(type: 129, code: 0, id: 16627),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone],
                timeout: 29,
                id: 2672482765)),
        RecordedFlow(
            name: "list, bridge-nf off: tcp ipv4 SYN_SENT DNAT UNREPLIED id=2328799569",
            recordedWith: session1ListOff,
            event: nil,
            conntrackLine:
                "tcp      6 115 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=49920 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=49920 mark=0 use=1 id=2328799569",
            conntrackFixture: "session1-conntrack-L-bridge-nf-off.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-off.json", ctwatchLine: 8,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 49920,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 49920),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 115,
                id: 2328799569)),
        RecordedFlow(
            name: "list, bridge-nf off: tcp ipv6 SYN_SENT DNAT UNREPLIED id=4131639021",
            recordedWith: session1ListOff,
            event: nil,
            conntrackLine:
                "tcp      6 117 SYN_SENT src=fd00:224:1::34 dst=fd00:233::172 sport=46816 dport=8080 [UNREPLIED] src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=46816 mark=0 use=1 id=4131639021",
            conntrackFixture: "session1-conntrack-L-bridge-nf-off.txt",
            ctwatchFixture: "session1-ctwatch-list-bridge-nf-off.json", ctwatchLine: 9,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 46816,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 46816),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 117,
                id: 4131639021)),
        RecordedFlow(
            name: "list, bridge-nf on: tcp ipv4 TIME_WAIT id=3224741003",
            recordedWith: session2List,
            event: nil,
            conntrackLine:
                "tcp      6 119 TIME_WAIT src=10.224.1.34 dst=10.224.1.56 sport=56702 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=56702 [ASSURED] mark=0 use=1 id=3224741003",
            conntrackFixture: "session2-conntrack-L.txt",
            ctwatchFixture: "session2-ctwatch-list.json", ctwatchLine: 1,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 56702, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 56702),
                status: [.seenReply, .assured, .confirmed, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 119,
                id: 3224741003)),
        RecordedFlow(
            name: "list, bridge-nf on: tcp ipv4 TIME_WAIT DNAT SNAT id=981265943",
            recordedWith: session2List,
            event: nil,
            conntrackLine:
                "tcp      6 119 TIME_WAIT src=10.224.1.56 dst=10.233.53.172 sport=34908 dport=8080 src=10.224.1.56 dst=10.224.1.1 sport=8080 dport=34908 [ASSURED] mark=0 use=1 id=981265943",
            conntrackFixture: "session2-conntrack-L.txt",
            ctwatchFixture: "session2-ctwatch-list.json", ctwatchLine: 2,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.233.53.172"), sourcePort: 34908,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.1"), sourcePort: 8080, destinationPort: 34908),
                status: [.seenReply, .assured, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 119,
                id: 981265943)),
        RecordedFlow(
            name: "list, bridge-nf on: udp ipv4 id=1436272656",
            recordedWith: session2List,
            event: nil,
            conntrackLine:
                "udp      17 29 src=10.224.1.34 dst=10.224.1.56 sport=35511 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=35511 mark=0 use=1 id=1436272656",
            conntrackFixture: "session2-conntrack-L.txt",
            ctwatchFixture: "session2-ctwatch-list.json", ctwatchLine: 3,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 35511, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35511),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone],
                timeout: 29,
                id: 1436272656)),
        RecordedFlow(
            name: "list, bridge-nf on: igmp ipv4 UNREPLIED id=4101195480",
            recordedWith: session2List,
            event: nil,
            conntrackLine:
                "unknown  2 598 src=10.224.1.1 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=10.224.1.1 mark=0 use=1 id=4101195480",
            conntrackFixture: "session2-conntrack-L.txt",
            ctwatchFixture: "session2-ctwatch-list.json", ctwatchLine: 4,
            flow: Flow(
                family: .ipv4,
                transport: .igmp,
                original: Tuple(source: ip("10.224.1.1"), destination: ip("224.0.0.22")),
                reply: Tuple(source: ip("224.0.0.22"), destination: ip("10.224.1.1")),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 598,
                id: 4101195480)),
        RecordedFlow(
            name: "list, bridge-nf on: tcp ipv4 TIME_WAIT DNAT id=1610861116",
            recordedWith: session2List,
            event: nil,
            conntrackLine:
                "tcp      6 119 TIME_WAIT src=10.224.1.34 dst=10.233.53.173 sport=35586 dport=8080 src=10.224.2.20 dst=10.224.1.34 sport=8080 dport=35586 [ASSURED] mark=0 use=1 id=1610861116",
            conntrackFixture: "session2-conntrack-L.txt",
            ctwatchFixture: "session2-ctwatch-list.json", ctwatchLine: 5,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.173"), sourcePort: 35586,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.2.20"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35586),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 119,
                id: 1610861116)),
        RecordedFlow(
            name: "list, bridge-nf on: udp ipv6 DNAT SNAT id=3370289036",
            recordedWith: session2List,
            event: nil,
            conntrackLine:
                "udp      17 29 src=fd00:224:1::56 dst=fd00:233::172 sport=60454 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::1 sport=8080 dport=60454 mark=0 use=1 id=3370289036",
            conntrackFixture: "session2-conntrack-L.txt",
            ctwatchFixture: "session2-ctwatch-list.json", ctwatchLine: 6,
            flow: Flow(
                family: .ipv6,
                transport: .udp,
                original: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:233::172"), sourcePort: 60454,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::1"), sourcePort: 8080,
                    destinationPort: 60454),
                status: [.seenReply, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 29,
                id: 3370289036)),
        RecordedFlow(
            name: "list, acct+timestamp+mark+zone: udp ipv4 UNREPLIED counters start id=191306228",
            recordedWith: session3List,
            event: nil,
            conntrackLine:
                "udp      17 26 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=34711 packets=1 bytes=47 [UNREPLIED] src=10.224.1.34 dst=10.224.1.56 sport=34711 dport=8080 packets=0 bytes=0 mark=0 delta-time=4 use=1 id=191306228",
            conntrackFixture: "session3-conntrack-L.txt",
            ctwatchFixture: "session3-ctwatch-list.json", ctwatchLine: 1,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 34711),
                reply: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 34711, destinationPort: 8080),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 26,
                id: 191306228,
                startNanoseconds: 1795739908_993184987,
                counters: Counters(originalPackets: 1, originalBytes: 47, replyPackets: 0, replyBytes: 0))),
        RecordedFlow(
            name: "list, acct+timestamp+mark+zone: udp ipv4 DNAT UNREPLIED mark zone counters start id=3769347173",
            recordedWith: session3List,
            event: nil,
            conntrackLine:
                "udp      17 26 src=10.224.1.34 dst=10.233.53.172 sport=34711 dport=8080 packets=1 bytes=34 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=34711 packets=0 bytes=0 mark=7 zone=3 delta-time=4 use=1 id=3769347173",
            conntrackFixture: "session3-conntrack-L.txt",
            ctwatchFixture: "session3-ctwatch-list.json", ctwatchLine: 2,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 34711,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 34711),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 26,
                mark: 7,
                zone: 3,
                id: 3769347173,
                startNanoseconds: 1795739908_992794234,
                counters: Counters(originalPackets: 1, originalBytes: 34, replyPackets: 0, replyBytes: 0))),
        RecordedFlow(
            name:
                "list, acct+timestamp+mark+zone: tcp ipv4 SYN_SENT DNAT UNREPLIED mark zone counters start id=125454413",
            recordedWith: session3List,
            event: nil,
            conntrackLine:
                "tcp      6 113 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=55416 dport=8080 packets=1 bytes=60 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=55416 packets=0 bytes=0 mark=7 zone=3 delta-time=7 use=1 id=125454413",
            conntrackFixture: "session3-conntrack-L.txt",
            ctwatchFixture: "session3-ctwatch-list.json", ctwatchLine: 3,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 55416,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 55416),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 113,
                mark: 7,
                zone: 3,
                id: 125454413,
                startNanoseconds: 1795739905_967644589,
                counters: Counters(originalPackets: 1, originalBytes: 60, replyPackets: 0, replyBytes: 0))),
        RecordedFlow(
            name: "list, acct+timestamp+mark+zone: igmp ipv4 UNREPLIED id=1262479592",
            recordedWith: session3List,
            event: nil,
            conntrackLine:
                "unknown  2 592 src=10.224.1.1 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=10.224.1.1 mark=0 use=1 id=1262479592",
            conntrackFixture: "session3-conntrack-L.txt",
            ctwatchFixture: "session3-ctwatch-list.json", ctwatchLine: 4,
            flow: Flow(
                family: .ipv4,
                transport: .igmp,
                original: Tuple(source: ip("10.224.1.1"), destination: ip("224.0.0.22")),
                reply: Tuple(source: ip("224.0.0.22"), destination: ip("10.224.1.1")),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 592,
                id: 1262479592)),
        RecordedFlow(
            name: "event NEW: igmp ipv4 UNREPLIED id=2628800646 (#1)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] unknown  2 600 src=10.224.1.1 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=10.224.1.1 id=2628800646",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 1,
            flow: Flow(
                family: .ipv4,
                transport: .igmp,
                original: Tuple(source: ip("10.224.1.1"), destination: ip("224.0.0.22")),
                reply: Tuple(source: ip("224.0.0.22"), destination: ip("10.224.1.1")),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 600,
                id: 2628800646)),
        RecordedFlow(
            name: "event NEW: tcp ipv4 SYN_SENT DNAT UNREPLIED id=3669039363 (#2)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 id=3669039363",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 2,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                id: 3669039363)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 SYN_RECV DNAT id=3669039363 (#3)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 60 SYN_RECV src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 id=3669039363",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 3,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synRecv,
                timeout: 60,
                id: 3669039363)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 ESTABLISHED DNAT id=3669039363 (#4)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 432000 ESTABLISHED src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 [ASSURED] id=3669039363",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 4,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .established,
                timeout: 432000,
                id: 3669039363)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 FIN_WAIT DNAT id=3669039363 (#5)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 FIN_WAIT src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 [ASSURED] id=3669039363",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 5,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .finWait,
                timeout: 120,
                id: 3669039363)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 LAST_ACK DNAT id=3669039363 (#6)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 30 LAST_ACK src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 [ASSURED] id=3669039363",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 6,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .lastAck,
                timeout: 30,
                id: 3669039363)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 TIME_WAIT DNAT id=3669039363 (#7)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 TIME_WAIT src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 [ASSURED] id=3669039363",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 7,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 120,
                id: 3669039363)),
        RecordedFlow(
            name: "event NEW: udp ipv4 DNAT UNREPLIED id=4124779589 (#8)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] udp      17 30 src=10.224.1.34 dst=10.233.53.172 sport=39359 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=39359 id=4124779589",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 8,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 39359,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 39359),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 4124779589)),
        RecordedFlow(
            name: "event UPDATE: udp ipv4 DNAT id=4124779589 (#9)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] udp      17 30 src=10.224.1.34 dst=10.233.53.172 sport=39359 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=39359 id=4124779589",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 9,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 39359,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 39359),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 4124779589)),
        RecordedFlow(
            name: "event NEW: tcp ipv6 SYN_SENT DNAT UNREPLIED id=1346449965 (#10)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 [UNREPLIED] src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 id=1346449965",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 10,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                id: 1346449965)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv6 SYN_RECV DNAT id=1346449965 (#11)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 60 SYN_RECV src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 id=1346449965",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 11,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synRecv,
                timeout: 60,
                id: 1346449965)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv6 ESTABLISHED DNAT id=1346449965 (#12)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 432000 ESTABLISHED src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 [ASSURED] id=1346449965",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 12,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .established,
                timeout: 432000,
                id: 1346449965)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv6 FIN_WAIT DNAT id=1346449965 (#13)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 FIN_WAIT src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 [ASSURED] id=1346449965",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 13,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .finWait,
                timeout: 120,
                id: 1346449965)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv6 LAST_ACK DNAT id=1346449965 (#14)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 30 LAST_ACK src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 [ASSURED] id=1346449965",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 14,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .lastAck,
                timeout: 30,
                id: 1346449965)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv6 TIME_WAIT DNAT id=1346449965 (#15)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 TIME_WAIT src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 [ASSURED] id=1346449965",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 15,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 120,
                id: 1346449965)),
        RecordedFlow(
            name: "event NEW: udp ipv6 DNAT UNREPLIED id=1647701881 (#16)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] udp      17 30 src=fd00:224:1::34 dst=fd00:233::172 sport=50791 dport=8080 [UNREPLIED] src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=50791 id=1647701881",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 16,
            flow: Flow(
                family: .ipv6,
                transport: .udp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 50791,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 50791),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 1647701881)),
        RecordedFlow(
            name: "event UPDATE: udp ipv6 DNAT id=1647701881 (#17)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] udp      17 30 src=fd00:224:1::34 dst=fd00:233::172 sport=50791 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=50791 id=1647701881",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 17,
            flow: Flow(
                family: .ipv6,
                transport: .udp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 50791,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 50791),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 1647701881)),
        RecordedFlow(
            name: "event NEW: icmp ipv4 UNREPLIED id=2746674519 (#18)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] icmp     1 30 src=10.224.1.34 dst=10.224.1.56 type=8 code=0 id=16622 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 type=0 code=0 id=16622 id=2746674519",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 18,
            flow: Flow(
                family: .ipv4,
                transport: .icmp,
                original: Tuple(source: ip("10.224.1.34"), destination: ip("10.224.1.56")),
                reply: Tuple(source: ip("10.224.1.56"), destination: ip("10.224.1.34")),
                icmp: ICMPInfo(type: 8, code: 0, id: 16622),
                replyICMP: ICMPInfo(type: 0, code: 0, id: 16622),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 2746674519)),
        RecordedFlow(
            name: "event UPDATE: icmp ipv4 id=2746674519 (#19)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] icmp     1 30 src=10.224.1.34 dst=10.224.1.56 type=8 code=0 id=16622 src=10.224.1.56 dst=10.224.1.34 type=0 code=0 id=16622 id=2746674519",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 19,
            flow: Flow(
                family: .ipv4,
                transport: .icmp,
                original: Tuple(source: ip("10.224.1.34"), destination: ip("10.224.1.56")),
                reply: Tuple(source: ip("10.224.1.56"), destination: ip("10.224.1.34")),
                icmp: ICMPInfo(type: 8, code: 0, id: 16622),
                replyICMP: ICMPInfo(type: 0, code: 0, id: 16622),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 2746674519)),
        RecordedFlow(
            name: "event NEW: ipv6-icmp ipv6 UNREPLIED id=2672482765 (#20)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] icmpv6   58 30 src=fd00:224:1::34 dst=fd00:224:1::56 type=128 code=0 id=16627 [UNREPLIED] src=fd00:224:1::56 dst=fd00:224:1::34 type=129 code=0 id=16627 id=2672482765",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 20,
            flow: Flow(
                family: .ipv6,
                transport: .icmpv6,
                original: Tuple(source: ip("fd00:224:1::34"), destination: ip("fd00:224:1::56")),
                reply: Tuple(source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34")),
                icmp: ICMPInfo(type: 128, code: 0, id: 16627),
                replyICMP: ICMPInfo(type: 129, code: 0, id: 16627),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 2672482765)),
        RecordedFlow(
            name: "event UPDATE: ipv6-icmp ipv6 id=2672482765 (#21)",
            recordedWith: session1Events,
            event: .update,
            conntrackLine:
                "[UPDATE] icmpv6   58 30 src=fd00:224:1::34 dst=fd00:224:1::56 type=128 code=0 id=16627 src=fd00:224:1::56 dst=fd00:224:1::34 type=129 code=0 id=16627 id=2672482765",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 21,
            flow: Flow(
                family: .ipv6,
                transport: .icmpv6,
                original: Tuple(source: ip("fd00:224:1::34"), destination: ip("fd00:224:1::56")),
                reply: Tuple(source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34")),
                icmp: ICMPInfo(type: 128, code: 0, id: 16627),
                replyICMP: ICMPInfo(type: 129, code: 0, id: 16627),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 2672482765)),
        RecordedFlow(
            name: "event NEW: tcp ipv4 SYN_SENT DNAT UNREPLIED id=2328799569 (#22)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=49920 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=49920 id=2328799569",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 22,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 49920,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 49920),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                id: 2328799569)),
        RecordedFlow(
            name: "event NEW: tcp ipv6 SYN_SENT DNAT UNREPLIED id=4131639021 (#23)",
            recordedWith: session1Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=fd00:224:1::34 dst=fd00:233::172 sport=46816 dport=8080 [UNREPLIED] src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=46816 id=4131639021",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 23,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 46816,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 46816),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                id: 4131639021)),
        RecordedFlow(
            name: "event DESTROY: tcp ipv4 TIME_WAIT DNAT id=3669039363 (#24)",
            recordedWith: session1Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] tcp      6 95 TIME_WAIT src=10.224.1.34 dst=10.233.53.172 sport=53836 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=53836 [ASSURED] id=3669039363 [USERSPACE] portid=2973503566 progname=conntrack",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 24,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 53836,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 53836),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone, .dying],
                tcpState: .timeWait,
                timeout: 95,
                id: 3669039363)),
        RecordedFlow(
            name: "event DESTROY: tcp ipv4 SYN_SENT DNAT UNREPLIED id=2328799569 (#25)",
            recordedWith: session1Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] tcp      6 110 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=49920 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=49920 id=2328799569 [USERSPACE] portid=3361360514 progname=conntrack",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 25,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 49920,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 49920),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone, .dying],
                tcpState: .synSent,
                timeout: 110,
                id: 2328799569)),
        RecordedFlow(
            name: "event DESTROY: icmp ipv4 id=2746674519 (#26)",
            recordedWith: session1Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] icmp     1 12 src=10.224.1.34 dst=10.224.1.56 type=8 code=0 id=16622 src=10.224.1.56 dst=10.224.1.34 type=0 code=0 id=16622 id=2746674519 [USERSPACE] portid=2760666580 progname=conntrack",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 26,
            flow: Flow(
                family: .ipv4,
                transport: .icmp,
                original: Tuple(source: ip("10.224.1.34"), destination: ip("10.224.1.56")),
                reply: Tuple(source: ip("10.224.1.56"), destination: ip("10.224.1.34")),
                icmp: ICMPInfo(type: 8, code: 0, id: 16622),
                replyICMP: ICMPInfo(type: 0, code: 0, id: 16622),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone, .dying],
                timeout: 12,
                id: 2746674519)),
        RecordedFlow(
            name: "event DESTROY: tcp ipv6 TIME_WAIT DNAT id=1346449965 (#27)",
            recordedWith: session1Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] tcp      6 95 TIME_WAIT src=fd00:224:1::34 dst=fd00:233::172 sport=54630 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=54630 [ASSURED] id=1346449965 [USERSPACE] portid=2916601925 progname=conntrack",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 27,
            flow: Flow(
                family: .ipv6,
                transport: .tcp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 54630,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 54630),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone, .dying],
                tcpState: .timeWait,
                timeout: 95,
                id: 1346449965)),
        RecordedFlow(
            name: "event DESTROY: ipv6-icmp ipv6 id=2672482765 (#28)",
            recordedWith: session1Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] icmpv6   58 12 src=fd00:224:1::34 dst=fd00:224:1::56 type=128 code=0 id=16627 src=fd00:224:1::56 dst=fd00:224:1::34 type=129 code=0 id=16627 id=2672482765 [USERSPACE] portid=3129655429 progname=conntrack",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 28,
            flow: Flow(
                family: .ipv6,
                transport: .icmpv6,
                original: Tuple(source: ip("fd00:224:1::34"), destination: ip("fd00:224:1::56")),
                reply: Tuple(source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34")),
                icmp: ICMPInfo(type: 128, code: 0, id: 16627),
                replyICMP: ICMPInfo(type: 129, code: 0, id: 16627),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone, .dying],
                timeout: 12,
                id: 2672482765)),
        RecordedFlow(
            name: "event DESTROY: udp ipv4 DNAT id=4124779589 (#29)",
            recordedWith: session1Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] udp      17 5 src=10.224.1.34 dst=10.233.53.172 sport=39359 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=39359 id=4124779589 [USERSPACE] portid=2942725377",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 29,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 39359,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 39359),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone, .dying],
                timeout: 5,
                id: 4124779589)),
        RecordedFlow(
            name: "event DESTROY: udp ipv6 DNAT id=1647701881 (#30)",
            recordedWith: session1Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] udp      17 src=fd00:224:1::34 dst=fd00:233::172 sport=50791 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::34 sport=8080 dport=50791 id=1647701881",
            conntrackFixture: "session1-conntrack-E.txt",
            ctwatchFixture: "session1-ctwatch-events.json", ctwatchLine: 30,
            flow: Flow(
                family: .ipv6,
                transport: .udp,
                original: Tuple(
                    source: ip("fd00:224:1::34"), destination: ip("fd00:233::172"), sourcePort: 50791,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::34"), sourcePort: 8080,
                    destinationPort: 50791),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone, .dying],
                id: 1647701881)),
        RecordedFlow(
            name: "event NEW: tcp ipv4 SYN_SENT DNAT SNAT UNREPLIED id=981265943 (#1)",
            recordedWith: session2Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=10.224.1.56 dst=10.233.53.172 sport=34908 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.1 sport=8080 dport=34908 id=981265943",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 1,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.233.53.172"), sourcePort: 34908,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.1"), sourcePort: 8080, destinationPort: 34908),
                status: [.confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                id: 981265943)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 SYN_RECV DNAT SNAT id=981265943 (#2)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 60 SYN_RECV src=10.224.1.56 dst=10.233.53.172 sport=34908 dport=8080 src=10.224.1.56 dst=10.224.1.1 sport=8080 dport=34908 id=981265943",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 2,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.233.53.172"), sourcePort: 34908,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.1"), sourcePort: 8080, destinationPort: 34908),
                status: [.seenReply, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synRecv,
                timeout: 60,
                id: 981265943)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 ESTABLISHED DNAT SNAT id=981265943 (#3)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 432000 ESTABLISHED src=10.224.1.56 dst=10.233.53.172 sport=34908 dport=8080 src=10.224.1.56 dst=10.224.1.1 sport=8080 dport=34908 [ASSURED] id=981265943",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 3,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.233.53.172"), sourcePort: 34908,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.1"), sourcePort: 8080, destinationPort: 34908),
                status: [.seenReply, .assured, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .established,
                timeout: 432000,
                id: 981265943)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 FIN_WAIT DNAT SNAT id=981265943 (#4)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 FIN_WAIT src=10.224.1.56 dst=10.233.53.172 sport=34908 dport=8080 src=10.224.1.56 dst=10.224.1.1 sport=8080 dport=34908 [ASSURED] id=981265943",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 4,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.233.53.172"), sourcePort: 34908,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.1"), sourcePort: 8080, destinationPort: 34908),
                status: [.seenReply, .assured, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .finWait,
                timeout: 120,
                id: 981265943)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 LAST_ACK DNAT SNAT id=981265943 (#5)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 30 LAST_ACK src=10.224.1.56 dst=10.233.53.172 sport=34908 dport=8080 src=10.224.1.56 dst=10.224.1.1 sport=8080 dport=34908 [ASSURED] id=981265943",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 5,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.233.53.172"), sourcePort: 34908,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.1"), sourcePort: 8080, destinationPort: 34908),
                status: [.seenReply, .assured, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .lastAck,
                timeout: 30,
                id: 981265943)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 TIME_WAIT DNAT SNAT id=981265943 (#6)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 TIME_WAIT src=10.224.1.56 dst=10.233.53.172 sport=34908 dport=8080 src=10.224.1.56 dst=10.224.1.1 sport=8080 dport=34908 [ASSURED] id=981265943",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 6,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.233.53.172"), sourcePort: 34908,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.1"), sourcePort: 8080, destinationPort: 34908),
                status: [.seenReply, .assured, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 120,
                id: 981265943)),
        RecordedFlow(
            name: "event NEW: tcp ipv4 SYN_SENT DNAT UNREPLIED id=1610861116 (#7)",
            recordedWith: session2Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=10.224.1.34 dst=10.233.53.173 sport=35586 dport=8080 [UNREPLIED] src=10.224.2.20 dst=10.224.1.34 sport=8080 dport=35586 id=1610861116",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 7,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.173"), sourcePort: 35586,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.2.20"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35586),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                id: 1610861116)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 SYN_RECV DNAT id=1610861116 (#8)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 60 SYN_RECV src=10.224.1.34 dst=10.233.53.173 sport=35586 dport=8080 src=10.224.2.20 dst=10.224.1.34 sport=8080 dport=35586 id=1610861116",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 8,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.173"), sourcePort: 35586,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.2.20"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35586),
                status: [.seenReply, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synRecv,
                timeout: 60,
                id: 1610861116)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 ESTABLISHED DNAT id=1610861116 (#9)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 432000 ESTABLISHED src=10.224.1.34 dst=10.233.53.173 sport=35586 dport=8080 src=10.224.2.20 dst=10.224.1.34 sport=8080 dport=35586 [ASSURED] id=1610861116",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 9,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.173"), sourcePort: 35586,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.2.20"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35586),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .established,
                timeout: 432000,
                id: 1610861116)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 LAST_ACK DNAT id=1610861116 (#10)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 30 LAST_ACK src=10.224.1.34 dst=10.233.53.173 sport=35586 dport=8080 src=10.224.2.20 dst=10.224.1.34 sport=8080 dport=35586 [ASSURED] id=1610861116",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 10,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.173"), sourcePort: 35586,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.2.20"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35586),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .lastAck,
                timeout: 30,
                id: 1610861116)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 LAST_ACK DNAT id=1610861116 (#11)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 30 LAST_ACK src=10.224.1.34 dst=10.233.53.173 sport=35586 dport=8080 src=10.224.2.20 dst=10.224.1.34 sport=8080 dport=35586 [ASSURED] id=1610861116",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 11,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.173"), sourcePort: 35586,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.2.20"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35586),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .lastAck,
                timeout: 30,
                id: 1610861116)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 TIME_WAIT DNAT id=1610861116 (#12)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 TIME_WAIT src=10.224.1.34 dst=10.233.53.173 sport=35586 dport=8080 src=10.224.2.20 dst=10.224.1.34 sport=8080 dport=35586 [ASSURED] id=1610861116",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 12,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.173"), sourcePort: 35586,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.2.20"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35586),
                status: [.seenReply, .assured, .confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 120,
                id: 1610861116)),
        RecordedFlow(
            name: "event NEW: tcp ipv4 SYN_SENT UNREPLIED id=3224741003 (#13)",
            recordedWith: session2Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=10.224.1.34 dst=10.224.1.56 sport=56702 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=56702 id=3224741003",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 13,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 56702, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 56702),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                id: 3224741003)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 SYN_RECV id=3224741003 (#14)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 60 SYN_RECV src=10.224.1.34 dst=10.224.1.56 sport=56702 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=56702 id=3224741003",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 14,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 56702, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 56702),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone],
                tcpState: .synRecv,
                timeout: 60,
                id: 3224741003)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 ESTABLISHED id=3224741003 (#15)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 432000 ESTABLISHED src=10.224.1.34 dst=10.224.1.56 sport=56702 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=56702 [ASSURED] id=3224741003",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 15,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 56702, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 56702),
                status: [.seenReply, .assured, .confirmed, .srcNATDone, .dstNATDone],
                tcpState: .established,
                timeout: 432000,
                id: 3224741003)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 FIN_WAIT id=3224741003 (#16)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 FIN_WAIT src=10.224.1.34 dst=10.224.1.56 sport=56702 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=56702 [ASSURED] id=3224741003",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 16,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 56702, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 56702),
                status: [.seenReply, .assured, .confirmed, .srcNATDone, .dstNATDone],
                tcpState: .finWait,
                timeout: 120,
                id: 3224741003)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 LAST_ACK id=3224741003 (#17)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 30 LAST_ACK src=10.224.1.34 dst=10.224.1.56 sport=56702 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=56702 [ASSURED] id=3224741003",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 17,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 56702, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 56702),
                status: [.seenReply, .assured, .confirmed, .srcNATDone, .dstNATDone],
                tcpState: .lastAck,
                timeout: 30,
                id: 3224741003)),
        RecordedFlow(
            name: "event UPDATE: tcp ipv4 TIME_WAIT id=3224741003 (#18)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] tcp      6 120 TIME_WAIT src=10.224.1.34 dst=10.224.1.56 sport=56702 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=56702 [ASSURED] id=3224741003",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 18,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 56702, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 56702),
                status: [.seenReply, .assured, .confirmed, .srcNATDone, .dstNATDone],
                tcpState: .timeWait,
                timeout: 120,
                id: 3224741003)),
        RecordedFlow(
            name: "event NEW: udp ipv4 UNREPLIED id=1436272656 (#19)",
            recordedWith: session2Events,
            event: .new,
            conntrackLine:
                "[NEW] udp      17 30 src=10.224.1.34 dst=10.224.1.56 sport=35511 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=35511 id=1436272656",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 19,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 35511, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35511),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 1436272656)),
        RecordedFlow(
            name: "event UPDATE: udp ipv4 id=1436272656 (#20)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] udp      17 30 src=10.224.1.34 dst=10.224.1.56 sport=35511 dport=8080 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=35511 id=1436272656",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 20,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 35511, destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 35511),
                status: [.seenReply, .confirmed, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 1436272656)),
        RecordedFlow(
            name: "event NEW: udp ipv6 DNAT SNAT UNREPLIED id=3370289036 (#21)",
            recordedWith: session2Events,
            event: .new,
            conntrackLine:
                "[NEW] udp      17 30 src=fd00:224:1::56 dst=fd00:233::172 sport=60454 dport=8080 [UNREPLIED] src=fd00:224:1::56 dst=fd00:224:1::1 sport=8080 dport=60454 id=3370289036",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 21,
            flow: Flow(
                family: .ipv6,
                transport: .udp,
                original: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:233::172"), sourcePort: 60454,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::1"), sourcePort: 8080,
                    destinationPort: 60454),
                status: [.confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 3370289036)),
        RecordedFlow(
            name: "event UPDATE: udp ipv6 DNAT SNAT id=3370289036 (#22)",
            recordedWith: session2Events,
            event: .update,
            conntrackLine:
                "[UPDATE] udp      17 30 src=fd00:224:1::56 dst=fd00:233::172 sport=60454 dport=8080 src=fd00:224:1::56 dst=fd00:224:1::1 sport=8080 dport=60454 id=3370289036",
            conntrackFixture: "session2-conntrack-E.txt",
            ctwatchFixture: "session2-ctwatch-events.json", ctwatchLine: 22,
            flow: Flow(
                family: .ipv6,
                transport: .udp,
                original: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:233::172"), sourcePort: 60454,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("fd00:224:1::56"), destination: ip("fd00:224:1::1"), sourcePort: 8080,
                    destinationPort: 60454),
                status: [.seenReply, .confirmed, .srcNAT, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 3370289036)),
        RecordedFlow(
            name: "event NEW: tcp ipv4 SYN_SENT DNAT UNREPLIED mark zone id=125454413 (#1)",
            recordedWith: session3Events,
            event: .new,
            conntrackLine:
                "[NEW] tcp      6 120 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=55416 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=55416 mark=7 zone=3 id=125454413",
            conntrackFixture: "session3-conntrack-E.txt",
            ctwatchFixture: "session3-ctwatch-events.json", ctwatchLine: 1,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 55416,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 55416),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                tcpState: .synSent,
                timeout: 120,
                mark: 7,
                zone: 3,
                id: 125454413)),
        RecordedFlow(
            name: "event NEW: udp ipv4 DNAT UNREPLIED mark zone id=3769347173 (#2)",
            recordedWith: session3Events,
            event: .new,
            conntrackLine:
                "[NEW] udp      17 30 src=10.224.1.34 dst=10.233.53.172 sport=34711 dport=8080 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=34711 mark=7 zone=3 id=3769347173",
            conntrackFixture: "session3-conntrack-E.txt",
            ctwatchFixture: "session3-ctwatch-events.json", ctwatchLine: 2,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 34711,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 34711),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone],
                timeout: 30,
                mark: 7,
                zone: 3,
                id: 3769347173)),
        RecordedFlow(
            name: "event NEW: udp ipv4 UNREPLIED id=191306228 (#3)",
            recordedWith: session3Events,
            event: .new,
            conntrackLine:
                "[NEW] udp      17 30 src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=34711 [UNREPLIED] src=10.224.1.34 dst=10.224.1.56 sport=34711 dport=8080 id=191306228",
            conntrackFixture: "session3-conntrack-E.txt",
            ctwatchFixture: "session3-ctwatch-events.json", ctwatchLine: 3,
            flow: Flow(
                family: .ipv4,
                transport: .udp,
                original: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 34711),
                reply: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.224.1.56"), sourcePort: 34711, destinationPort: 8080),
                status: [.confirmed, .srcNATDone, .dstNATDone],
                timeout: 30,
                id: 191306228)),
        RecordedFlow(
            name: "event DESTROY: tcp ipv4 SYN_SENT DNAT UNREPLIED mark zone counters start id=125454413 (#4)",
            recordedWith: session3Events,
            event: .destroy,
            conntrackLine:
                "[DESTROY] tcp      6 113 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=55416 dport=8080 packets=1 bytes=60 [UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=55416 packets=0 bytes=0 mark=7 zone=3 delta-time=7 id=125454413 [USERSPACE] portid=3844989790",
            conntrackFixture: "session3-conntrack-E.txt",
            ctwatchFixture: "session3-ctwatch-events.json", ctwatchLine: 4,
            flow: Flow(
                family: .ipv4,
                transport: .tcp,
                original: Tuple(
                    source: ip("10.224.1.34"), destination: ip("10.233.53.172"), sourcePort: 55416,
                    destinationPort: 8080),
                reply: Tuple(
                    source: ip("10.224.1.56"), destination: ip("10.224.1.34"), sourcePort: 8080, destinationPort: 55416),
                status: [.confirmed, .dstNAT, .srcNATDone, .dstNATDone, .dying],
                tcpState: .synSent,
                timeout: 113,
                mark: 7,
                zone: 3,
                id: 125454413,
                startNanoseconds: 1795739905_967644589,
                stopNanoseconds: 1795739912_588549431,
                counters: Counters(originalPackets: 1, originalBytes: 60, replyPackets: 0, replyBytes: 0))),

    ]

    /// The `conntrack -L` entries.
    public static var listed: [RecordedFlow] { all.filter { $0.event == nil } }
    /// The `conntrack -E` events.
    public static var events: [RecordedFlow] { all.filter { $0.event != nil } }

    /// The first recorded entry whose name contains every one of `words`.
    public static func named(_ words: String...) -> RecordedFlow {
        guard let record = all.first(where: { r in words.allSatisfy { r.name.contains($0) } }) else {
            fatalError("no recorded flow named \(words)")
        }
        return record
    }
}
