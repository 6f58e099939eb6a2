import Conntrack
import TestSupport
import Testing

/// The two tuples as `conntrack` printed them: the expectation for the
/// predicates comes from the recorded text, not from the Flow literal.
fileprivate struct PrintedTuples {
    var original: [String: String] = [:]
    var reply: [String: String] = [:]
    var unreplied = false
    var assured = false

    init(_ line: String) {
        var current = 0
        for token in line.split(separator: " ") {
            if token == "[UNREPLIED]" {
                unreplied = true
                continue
            }
            if token == "[ASSURED]" {
                assured = true
                continue
            }
            let parts = token.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = String(parts[0])
            let value = String(parts[1])
            if key == "src" { current += 1 }
            // Only the first two src= groups are tuples.
            if current == 1, original[key] == nil { original[key] = value }
            if current == 2, reply[key] == nil { reply[key] = value }
        }
    }
}

@Suite("Flow predicates on recorded flows")
struct FlowPredicateTests {
    @Test(
        "isDestinationNATed, isSourceNATed and isUnreplied agree with what conntrack printed",
        arguments: RecordedFlows.all)
    func predicatesMatchPrintedTuples(record: RecordedFlow) {
        let printed = PrintedTuples(record.conntrackLine)
        let flow = record.flow
        let dnat =
            printed.original["dst"] != printed.reply["src"] || printed.original["dport"] != printed.reply["sport"]
        let snat =
            printed.original["src"] != printed.reply["dst"] || printed.original["sport"] != printed.reply["dport"]
        #expect(flow.isDestinationNATed == dnat)
        #expect(flow.isSourceNATed == snat)
        #expect(flow.isUnreplied == printed.unreplied)
        #expect(flow.status.contains(.assured) == printed.assured)
        // On real entries the kernel's bits and the tuples tell the same story.
        #expect(flow.status.contains(.dstNAT) == dnat)
        #expect(flow.status.contains(.srcNAT) == snat)
        #expect(flow.isUnreplied == !flow.status.contains(.seenReply))
    }

    @Test(
        "The stuck flow of the seed: SYN_SENT, DNAT'ed, unreplied (bridge-nf off)",
        arguments: [
            RecordedFlows.named("list, bridge-nf off", "ipv4", "SYN_SENT"),
            RecordedFlows.named("list, bridge-nf off", "ipv6", "SYN_SENT"),
        ])
    func seedFlow(record: RecordedFlow) {
        #expect(record.flow.isDestinationNATed)
        #expect(record.flow.isUnreplied)
        #expect(!record.flow.isSourceNATed)
        #expect(record.flow.tcpState == .synSent)
        #expect(FlowFilter.dnatUnreplied.matches(record.flow))
    }

    @Test("A healthy DNAT'ed connection is DNAT'ed but replied")
    func healthyDNAT() {
        let flow = RecordedFlows.named("list, bridge-nf on", "tcp ipv4 TIME_WAIT DNAT id=3669039363").flow
        #expect(flow.isDestinationNATed)
        #expect(!flow.isUnreplied)
        #expect(!flow.isSourceNATed)
        #expect(!FlowFilter.dnatUnreplied.matches(flow))
    }

    @Test("A hairpin call (DNAT + MASQUERADE) is both DNAT'ed and SNAT'ed")
    func hairpin() {
        let flow = RecordedFlows.named("list", "DNAT SNAT", "tcp").flow
        #expect(flow.isDestinationNATed)
        #expect(flow.isSourceNATed)
        #expect(flow.reply.destination.description == "10.224.1.1")
    }

    @Test(
        "Pod-to-pod and ping flows are not NATed",
        arguments: [
            RecordedFlows.named("list", "tcp ipv4 TIME_WAIT id=3224741003"),
            RecordedFlows.named("list", "udp ipv4 id=1436272656"),
            RecordedFlows.named("list", "icmp ipv4"),
            RecordedFlows.named("list", "ipv6-icmp"),
        ])
    func notNATed(record: RecordedFlow) {
        #expect(!record.flow.isDestinationNATed)
        #expect(!record.flow.isSourceNATed)
        #expect(!record.flow.isUnreplied)
    }

    @Test("A flow whose tuples show DNAT is DNAT'ed even without the DST_NAT bit (ctnetlink-created entries)")
    func dnatByTuplesOnly() throws {
        var flow = RecordedFlows.named("list, bridge-nf off", "ipv4", "SYN_SENT").flow
        flow.status.remove(.dstNAT)
        #expect(flow.isDestinationNATed)
        // Port-only rewrite: same address, other port.
        flow.reply.source = flow.original.destination
        flow.reply.sourcePort = 9090
        #expect(flow.isDestinationNATed)
        flow.reply.sourcePort = flow.original.destinationPort
        #expect(!flow.isDestinationNATed)
    }

    @Test("Ports do not count for protocols without ports")
    func portsIgnoredWithoutPorts() {
        var flow = RecordedFlows.named("list", "icmp ipv4").flow
        flow.reply.sourcePort = 1
        flow.reply.destinationPort = 2
        #expect(!flow.isDestinationNATed)
        #expect(!flow.isSourceNATed)
    }

    @Test("Every event of one entry has the same key; other entries have other keys")
    func keys() {
        let events = RecordedFlows.events.filter { $0.flow.id == 3669039363 }
        #expect(events.count == 7)
        #expect(Set(events.map(\.flow.key)).count == 1)
        let allKeys = Set(RecordedFlows.events.map(\.flow.key))
        let ids = Set(RecordedFlows.events.compactMap(\.flow.id))
        #expect(allKeys.count == ids.count)
    }
}

fileprivate extension FlowFilter {
    /// DNAT'ed and unreplied: what `ctwatch list --dnat --unreplied` asks for.
    static var dnatUnreplied: FlowFilter {
        var filter = FlowFilter()
        filter.destinationNATed = true
        filter.unreplied = true
        return filter
    }
}
