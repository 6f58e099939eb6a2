import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// Stuck detection on recorded flows (Tests/TestSupport/RecordedFlows.swift):
/// which flows count, their diagnosis, the tracker's once-only reports, the output.
@Suite("stuck detection")
struct StuckTests {
    static let bridge = try! CIDR(parsing: "10.224.1.0/24")
    static let bridge6 = try! CIDR(parsing: "fd00:224:1::/64")
    static let rules = StuckRules(subnets: [bridge, bridge6])
    static let stuckV4 = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow
    static let stuckV6 = RecordedFlows.named("bridge-nf off", "tcp ipv6 SYN_SENT DNAT UNREPLIED").flow
    static let replied = RecordedFlows.named("list, bridge-nf on: tcp ipv4 TIME_WAIT DNAT id=").flow
    static let second: UInt64 = 1_000_000_000

    @Test("the bridge-nf-off SYN_SENT entries are candidates, in their own family's subnet")
    func candidates() {
        #expect(Self.rules.subnet(for: Self.stuckV4) == Self.bridge)
        #expect(Self.rules.subnet(for: Self.stuckV6) == Self.bridge6)
        #expect(Self.rules.subnet(for: Self.replied) == nil, "SEEN_REPLY: not unreplied")
        #expect(StuckRules(subnets: [Self.bridge6]).subnet(for: Self.stuckV4) == nil, "no subnet of its family")
    }

    @Test("IPVS: no DST_NAT bit, a destination on kube-ipvs0 is a Service address whatever --service-cidr says")
    func ipvsShapedFlow() throws {
        var flow = Self.stuckV4
        flow.status.remove(.dstNAT)
        let elsewhere = try CIDR(parsing: "10.96.0.0/12")
        let clusterIP = flow.original.destination
        #expect(StuckRules(subnets: [Self.bridge]).subnet(for: flow) == nil, "the DST_NAT rules never see it")
        #expect(StuckRules(subnets: [Self.bridge], anyDNAT: true).subnet(for: flow) == Self.bridge)
        #expect(StuckRules(subnets: [Self.bridge], serviceRanges: [elsewhere], anyDNAT: true).subnet(for: flow) == nil)
        let ipvs = StuckRules(
            subnets: [Self.bridge], serviceRanges: [elsewhere], serviceAddresses: [clusterIP], anyDNAT: true)
        #expect(ipvs.subnet(for: flow) == Self.bridge)
        #expect(ipvs.dumpFilter.status == nil, "every entry is dumped")
        #expect(ipvs.with(minAge: .seconds(3)).serviceAddresses == [clusterIP])
        #expect(!ipvs.isNodeAddress(clusterIP))
    }

    @Test("IPVS mode is kube-ipvs0 (whatever its kind) or /proc/net/ip_vs; kube-ipvs0 is no pod bridge")
    func ipvsDetection() throws {
        let cni0 = NetworkInterface(
            index: 3, name: "cni0", kind: "bridge",
            addresses: [InterfaceAddress(address: IPAddress("10.224.1.1")!, prefixLength: 24)])
        let ipvs0 = NetworkInterface(
            index: 9, name: "kube-ipvs0", kind: "bridge",
            addresses: [
                InterfaceAddress(address: IPAddress("10.233.53.172")!, prefixLength: 32),
                InterfaceAddress(address: IPAddress("fe80::1")!, prefixLength: 64),
            ])
        #expect(IPVSMode.detect(interfaces: [cni0], procNetIPVS: false) == nil)
        let both = try #require(IPVSMode.detect(interfaces: [cni0, ipvs0], procNetIPVS: true))
        #expect(both.serviceAddresses == [IPAddress("10.233.53.172")!], "link-local addresses are not Services")
        #expect(both.description == "kube-ipvs0 (1 Service address), /proc/net/ip_vs")
        let module = try #require(IPVSMode.detect(interfaces: [cni0], procNetIPVS: true))
        #expect(module.serviceAddresses == nil && module.description == "/proc/net/ip_vs")
        let notice = StuckNotice.ipvsMode(namespace: .named("node"), mode: both).description
        #expect(notice.contains("as with --any-dnat") && notice.contains("kube-ipvs0 count as Service addresses"))
        #expect(
            BridgeNetfilterState(sysctls: [:], bridges: [cni0, ipvs0]).bridges.map(\.name) == ["cni0"],
            "kube-ipvs0 is never taken for a pod bridge")
    }

    @Test("a backend outside the source's subnet, a destination inside it, or outside --service-cidr: not a candidate")
    func notCandidates() throws {
        var routed = Self.stuckV4
        routed.reply.source = IPAddress("10.224.2.20")!
        #expect(Self.rules.subnet(for: routed) == nil)
        var direct = Self.stuckV4
        direct.original.destination = IPAddress("10.224.1.99")!
        #expect(Self.rules.subnet(for: direct) == nil, "a destination in the bridge subnet is no service address")
        let services = try CIDR(parsing: "10.233.0.0/16")
        #expect(StuckRules(subnets: [Self.bridge], serviceRanges: [services]).subnet(for: Self.stuckV4) == Self.bridge)
        let elsewhere = try CIDR(parsing: "10.96.0.0/12")
        #expect(StuckRules(subnets: [Self.bridge], serviceRanges: [elsewhere]).subnet(for: Self.stuckV4) == nil)
    }

    @Test("the dump filter asks the kernel for DST_NAT set, replied or not (stale flows have replies); anyDNAT for all")
    func dumpFilter() {
        let status = Self.rules.dumpFilter.status
        #expect(status?.value == .dstNAT)
        #expect(status?.mask == .dstNAT)
        #expect(StuckRules(subnets: [Self.bridge], anyDNAT: true).dumpFilter.status == nil)
    }

    @Test("a flow DNAT'ed by its tuples only counts with anyDNAT, where dumps see it and two misses mean gone")
    func withoutStatusBit() {
        var tupleOnly = Self.stuckV4
        tupleOnly.status.remove(.dstNAT)
        #expect(tupleOnly.isDestinationNATed, "DNAT'ed by its tuples")
        #expect(Self.rules.subnet(for: tupleOnly) == nil, "the default dump cannot see it, so neither does the tracker")
        let t0: UInt64 = 1_800_000_000 * Self.second
        var any = StuckTracker(rules: StuckRules(subnets: [Self.bridge], anyDNAT: true))
        guard case .stuck = any.observe(tupleOnly, now: t0, fromDump: false) else {
            Issue.record("with anyDNAT a tuple-DNAT'ed flow is stuck at min-age 0")
            return
        }
        any.beginDump()
        _ = any.observe(tupleOnly, now: t0 + Self.second, fromDump: true)
        #expect(any.endDump(now: t0 + Self.second).isEmpty, "seen by the dump")
        for _ in 1...2 {
            any.beginDump()
            _ = any.endDump(now: t0 + 2 * Self.second)
        }
        #expect(any.count == 0, "two misses mean gone")
    }

    @Test("diagnosis: bridge-nf off per family, hairpin, unknown")
    func diagnosis() {
        let off: BridgeNetfilterState = [.ipv4: false, .ipv6: false]
        let on: BridgeNetfilterState = [.ipv4: true, .ipv6: true]
        let ns = NetworkNamespace.named("node")
        #expect(
            StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: off, namespace: ns).code
                == "bridge-nf-call-iptables-disabled")
        #expect(
            StuckRules.diagnose(Self.stuckV6, bridgeNetfilter: off, namespace: ns).code
                == "bridge-nf-call-ip6tables-disabled")
        let v6 = StuckRules.diagnose(Self.stuckV6, bridgeNetfilter: off, namespace: ns)
        #expect(v6.fix?.hasPrefix("sysctl -w net.bridge.bridge-nf-call-ip6tables=1") == true)
        #expect(
            StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: [:], namespace: ns).code
                == "bridge-nf-call-iptables-disabled", "absent sysctl: br_netfilter not loaded, the same effect")
        var hairpin = Self.stuckV4
        hairpin.original.source = hairpin.reply.source
        #expect(StuckRules.diagnose(hairpin, bridgeNetfilter: off, namespace: ns).code == "hairpin")
        let unknown = StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: on, namespace: ns)
        #expect(unknown.code == "unknown" && unknown.fix == nil)
    }

    @Test("the tracker reports a flow once, when it crosses --min-age")
    func reportsOnce() {
        var tracker = StuckTracker(rules: Self.rules.with(minAge: .seconds(3)))
        let t0: UInt64 = 1_800_000_000 * Self.second
        #expect(tracker.observe(Self.stuckV4, now: t0, fromDump: true) == nil, "just seen: age 0")
        #expect(tracker.observe(Self.stuckV4, now: t0 + Self.second, fromDump: false) == nil, "the same entry again")
        #expect(tracker.count == 1)
        #expect(tracker.due(now: t0 + 2 * Self.second).isEmpty)
        let due = tracker.due(now: t0 + 3 * Self.second)
        try? #require(due.count == 1)
        if case .stuck(let flow, let since, let age, let subnet) = due.first {
            #expect(flow.original == Self.stuckV4.original && flow.reply == Self.stuckV4.reply)
            #expect(since == WallTime(nanoseconds: t0) && age == 3 * Self.second && subnet == Self.bridge)
        } else {
            Issue.record("expected .stuck, got \(String(describing: due.first))")
        }
        #expect(tracker.due(now: t0 + 10 * Self.second).isEmpty, "reported once only")
    }

    @Test("a kernel start time gives the age at once")
    func kernelTimestamp() {
        var flow = Self.stuckV4
        let start: UInt64 = 1_800_000_000 * Self.second
        flow.startNanoseconds = start
        var tracker = StuckTracker(rules: Self.rules.with(minAge: .seconds(3)))
        let change = tracker.observe(flow, now: start + 5 * Self.second, fromDump: true)
        guard case .stuck(_, let since, let age, _) = change else {
            Issue.record("expected .stuck at once, got \(String(describing: change))")
            return
        }
        #expect(since == WallTime(nanoseconds: start) && age == 5 * Self.second)
        #expect(!tracker.waitingForObservation(now: start + 5 * Self.second))
    }

    @Test("a reported flow that gets its reply, or is destroyed, is cleared once; an unreported one silently")
    func clearing() {
        let t0: UInt64 = 1_800_000_000 * Self.second
        var tracker = StuckTracker(rules: Self.rules)
        guard case .stuck = tracker.observe(Self.stuckV4, now: t0, fromDump: true) else {
            Issue.record("min-age 0: stuck at once")
            return
        }
        var answered = Self.stuckV4
        answered.status.insert(.seenReply)
        answered.tcpState = .synRecv
        guard case .cleared(_, _, _, .replied, _) = tracker.observe(answered, now: t0 + Self.second, fromDump: false)
        else {
            Issue.record("an UPDATE with SEEN_REPLY clears it")
            return
        }
        #expect(tracker.count == 0)

        _ = tracker.observe(Self.stuckV6, now: t0, fromDump: true)
        guard case .cleared(_, _, _, .destroyed, _) = tracker.destroyed(Self.stuckV6, now: t0 + Self.second) else {
            Issue.record("a DESTROY clears it")
            return
        }
        #expect(tracker.destroyed(Self.stuckV6, now: t0 + Self.second) == nil, "cleared once")

        var slow = StuckTracker(rules: Self.rules.with(minAge: .seconds(60)))
        _ = slow.observe(Self.stuckV4, now: t0, fromDump: true)
        #expect(
            slow.observe(answered, now: t0 + Self.second, fromDump: false) == nil, "never reported: nothing to clear")
        #expect(slow.count == 0)
    }

    @Test("a flow missing from two dumps in a row is gone; one miss is the dump's, not the flow's")
    func twoMisses() {
        let t0: UInt64 = 1_800_000_000 * Self.second
        var tracker = StuckTracker(rules: Self.rules)
        tracker.beginDump()
        _ = tracker.observe(Self.stuckV4, now: t0, fromDump: true)
        #expect(tracker.endDump(now: t0).isEmpty)
        tracker.beginDump()
        #expect(tracker.endDump(now: t0 + Self.second).isEmpty, "one miss")
        #expect(tracker.count == 1)
        tracker.beginDump()
        let changes = tracker.endDump(now: t0 + 2 * Self.second)
        guard changes.count == 1, case .cleared(_, _, _, .gone, _) = changes[0] else {
            Issue.record("two misses: gone, got \(changes)")
            return
        }
        #expect(tracker.count == 0)
    }

    @Test("ages read at a glance")
    func ageText() {
        #expect(StuckReport.ageText(4 * Self.second, exact: true) == "4s")
        #expect(StuckReport.ageText(184 * Self.second, exact: true) == "3m04s")
        #expect(StuckReport.ageText(3720 * Self.second, exact: false) == ">=1h02m")
    }

    static func finding(_ flow: Flow, cleared: StuckTracker.ClearReason? = nil) -> StuckFinding {
        StuckFinding(
            flow: flow, since: WallTime(nanoseconds: 1_795_739_900 * second), age: 12 * second, ageFromKernel: false,
            subnet: bridge,
            attribution: Attribution(
                sourcePod: KubeObjectRef(namespace: "shop", name: "frontend-7c9d8b5f4-x2x7p"),
                backendPod: KubeObjectRef(namespace: "shop", name: "cart-5d6f7b8c9-k4m2n"),
                service: KubeObjectRef(namespace: "shop", name: "cart")),
            diagnosis: StuckRules.diagnose(flow, bridgeNetfilter: [.ipv4: false], namespace: .named("node")),
            cleared: cleared)
    }

    @Test("the table names the pods and the service, then gives each cause once with its fix")
    func table() {
        let lines = StuckReport.table([Self.finding(Self.stuckV4), Self.finding(Self.stuckV4)])
        #expect(
            lines[0].hasPrefix("AGE    PROTO  SOURCE POD")
                && lines[0].hasSuffix("BACKEND POD                                   STATE"))
        #expect(lines[1].contains("shop/frontend-7c9d8b5f4-x2x7p (10.224.1.34)"))
        #expect(lines[1].contains("shop/cart (10.233.53.172:8080)"))
        #expect(lines[1].contains("shop/cart-5d6f7b8c9-k4m2n (10.224.1.56:8080)"))
        #expect(lines[1].hasSuffix("SYN_SENT"))
        #expect(lines.filter { $0.hasPrefix("2 flows: bridge-nf-call-iptables-disabled.") }.count == 1)
        #expect(lines.last == "  fix: " + (Self.finding(Self.stuckV4).diagnosis.fix ?? ""))
    }

    @Test("the alert line carries the schema's stuck fields")
    func alertJSON() throws {
        for cleared in [nil, StuckTracker.ClearReason.replied] {
            var json = JSONWriter()
            StuckReport.appendJSON(
                Self.finding(Self.stuckV4, cleared: cleared), time: WallTime(nanoseconds: 1_795_739_912 * Self.second),
                into: &json)
            #expect(json.bytes.last == 0x0a && json.bytes.filter { $0 == 0x0a }.count == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
            let event = try #require(object["event"] as? [String: Any])
            #expect(event["kind"] as? String == "alert")
            #expect(event["action"] as? String == (cleared == nil ? "dnat-unreplied" : "dnat-unreplied-cleared"))
            #expect(event["dataset"] as? String == "ctwatch.stuck")
            #expect(event["duration"] as? Int == 12_000_000_000)
            #expect(event["start"] as? String == "2026-11-27T00:38:20.000000000Z")
            #expect((object["log"] as? [String: Any])?["level"] as? String == (cleared == nil ? "warn" : "info"))
            let ctwatch = try #require(object["ctwatch"] as? [String: Any])
            #expect(
                ((ctwatch["source"] as? [String: Any])?["pod"] as? [String: Any])?["name"] as? String
                    == "frontend-7c9d8b5f4-x2x7p")
            #expect(
                ((ctwatch["backend"] as? [String: Any])?["pod"] as? [String: Any])?["namespace"] as? String == "shop")
            #expect((ctwatch["service"] as? [String: Any])?["name"] as? String == "cart")
            let diagnosis = try #require(ctwatch["diagnosis"] as? [String: Any])
            #expect(diagnosis["code"] as? String == "bridge-nf-call-iptables-disabled")
            #expect((diagnosis["explanation"] as? String)?.contains("layer 2") == true)
            #expect(ctwatch["subnet"] as? String == "10.224.1.0/24")
        }
    }
}
