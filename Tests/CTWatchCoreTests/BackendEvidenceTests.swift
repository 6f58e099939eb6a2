import CTWatchCore
import Conntrack
import TestSupport
import Testing

/// The neighbour view's evidence against a backend, the tracker's stale
/// flows, and the order of the causes, on recorded flows and hand-made tables.
@Suite("backend evidence and stale flows")
struct BackendEvidenceTests {
    static let second: UInt64 = 1_000_000_000
    static let bridge = try! CIDR(parsing: "10.224.1.0/24")
    static let cni0 = NetworkInterface(
        index: 3, name: "cni0", kind: "bridge",
        addresses: [InterfaceAddress(address: IPAddress("10.224.1.1")!, prefixLength: 24)])
    static let backend = IPAddress("10.224.1.56")!
    static let backendMAC = LinkAddress([0x02, 0x42, 0x0a, 0xe0, 0x01, 0x38])
    /// The port behind which the backend's MAC sits while its pod lives.
    static let livePort = [BridgeForwardingEntry(linkAddress: backendMAC, portIndex: 7, bridgeIndex: 3)]
    /// When the hand-made tables were read.
    static let readAt = WallTime(nanoseconds: 1_800_000_000 * second)
    static let stuck = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow

    /// The recorded stuck flow as it looks once its backend has answered.
    static var answered: Flow {
        var flow = stuck
        flow.status.insert([.seenReply, .assured])
        flow.tcpState = .established
        return flow
    }

    static func view(
        _ state: Neighbour.State, mac: LinkAddress? = backendMAC, updated: Double? = nil, confirmed: Double? = nil,
        forwarding: [BridgeForwardingEntry] = livePort
    ) -> NeighbourView {
        NeighbourView(
            neighbours: [
                Neighbour(
                    address: backend, interfaceIndex: 3, linkAddress: mac, state: state, secondsSinceUpdate: updated,
                    secondsSinceConfirmed: confirmed)
            ], forwarding: forwarding, interfaces: [cni0], readAt: readAt)
    }

    @Test("FAILED is evidence at once; INCOMPLETE once asked for longer than a live pod takes; REACHABLE is none")
    func neighbourStates() {
        #expect(Self.view(.failed, mac: nil).evidence(against: Self.backend)?.kind == .failed)
        #expect(Self.view(.incomplete, mac: nil, updated: 0.2).evidence(against: Self.backend) == nil, "asked again")
        #expect(Self.view(.incomplete, mac: nil).evidence(against: Self.backend) == nil, "for how long: not known")
        let asked = Self.view(.incomplete, mac: nil, updated: 1.5)
        #expect(asked.evidence(against: Self.backend)?.kind == .incomplete)
        #expect(asked.evidence(against: Self.backend)?.interface == "cni0")
        #expect(Self.view(.reachable, confirmed: 2).evidence(against: Self.backend) == nil)
        #expect(Self.view(.reachable, confirmed: 2).answers(Self.backend))
    }

    @Test(
        "a MAC no port has: a deleted pod when the neighbour answered within the ageing time; else maybe a silent pod")
    func forwardingDatabase() {
        // The bridge's own address stays in its database; the pod's port took the backend's MAC with it.
        let own = [
            BridgeForwardingEntry(
                linkAddress: LinkAddress([0x02, 0, 0, 0, 0, 1]), portIndex: 3, bridgeIndex: 3, isLocal: true)
        ]
        let gone = Self.view(.reachable, confirmed: 5, forwarding: own)
        #expect(gone.evidence(against: Self.backend)?.kind == .linkAddressGone(Self.backendMAC))
        #expect(!gone.answers(Self.backend))
        let delayed = Self.view(.delay, confirmed: 40, forwarding: own)
        #expect(delayed.evidence(against: Self.backend)?.kind == .linkAddressGone(Self.backendMAC), "answered 40 s ago")
        let silent = Self.view(.stale, confirmed: 900, forwarding: own)
        #expect(silent.evidence(against: Self.backend) == nil, "silent longer than the bridge remembers")
        #expect(!silent.answers(Self.backend), "neither gone nor alive")
        #expect(Self.view(.reachable, forwarding: own).evidence(against: Self.backend) == nil, "no confirmation age")
        #expect(Self.view(.stale, confirmed: 900).answers(Self.backend), "its MAC is on a port")
        var hub = Self.cni0
        hub.forwardingAgeingSeconds = 0
        let learnsNothing = NeighbourView(
            neighbours: [
                Neighbour(
                    address: Self.backend, interfaceIndex: 3, linkAddress: Self.backendMAC, state: .reachable,
                    secondsSinceConfirmed: 1)
            ], forwarding: own, interfaces: [hub], readAt: Self.readAt)
        #expect(learnsNothing.evidence(against: Self.backend) == nil, "a bridge that keeps no MACs says nothing")
    }

    @Test("no entry at all is no evidence: the kernel's GC reaps live pods' entries too")
    func absent() {
        let view = NeighbourView(
            neighbours: [], forwarding: Self.livePort, interfaces: [Self.cni0], readAt: Self.readAt)
        #expect(view.evidence(against: Self.backend) == nil)
        #expect(!view.answers(Self.backend))
        #expect(NeighbourView().evidence(against: Self.backend) == nil, "a view of nothing")
    }

    @Test("a replied flow to a gone backend is stale; it clears when the backend answers ARP again")
    func staleTracking() {
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        tracker.beginDump(neighbours: Self.view(.failed, mac: nil))
        let t0: UInt64 = 1_800_000_000 * Self.second
        guard case .staleBackend(let flow, _, _, let subnet) = tracker.observe(Self.answered, now: t0, fromDump: true)
        else {
            Issue.record("a replied flow to a FAILED backend was not reported stale")
            return
        }
        #expect(flow.reply.source == Self.backend && subnet == Self.bridge)
        #expect(tracker.observe(Self.answered, now: t0 + Self.second, fromDump: false) == nil, "reported once")
        tracker.beginDump(neighbours: Self.view(.reachable))
        guard
            case .cleared(_, _, _, .reachable, .staleBackend) = tracker.observe(
                Self.answered, now: t0 + 2 * Self.second, fromDump: true)
        else {
            Issue.record("a stale flow whose backend answers again was not cleared")
            return
        }
        #expect(tracker.count == 0)
    }

    @Test("a stale flow stays stale while its gone backend's entry is asked again (a young INCOMPLETE)")
    func staleWhileAskedAgain() {
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        tracker.beginDump(neighbours: Self.view(.failed, mac: nil))
        let t0: UInt64 = 1_800_000_000 * Self.second
        _ = tracker.observe(Self.answered, now: t0, fromDump: true)
        tracker.beginDump(neighbours: Self.view(.incomplete, mac: nil, updated: 0.1))
        #expect(Self.view(.incomplete, mac: nil, updated: 0.1).answers(Self.backend) == false)
        #expect(tracker.observe(Self.answered, now: t0 + 3 * Self.second, fromDump: true) == nil)
        #expect(tracker.count == 1, "neither gone nor alive: the record stays")
        #expect(Self.view(.reachable).answers(Self.backend))
    }

    @Test("a replied flow to a live backend is not tracked at all")
    func liveReplied() {
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        tracker.beginDump(neighbours: Self.view(.reachable))
        #expect(tracker.observe(Self.answered, now: 1_800_000_000 * Self.second, fromDump: true) == nil)
        #expect(tracker.count == 0)
    }

    @Test("a gone backend comes first: an unreplied flow to it is stale, not stuck")
    func unrepliedToGoneBackend() {
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        tracker.beginDump(neighbours: Self.view(.failed, mac: nil))
        guard case .staleBackend = tracker.observe(Self.stuck, now: 1_800_000_000 * Self.second, fromDump: true) else {
            Issue.record("an unreplied flow to a FAILED backend was not stale")
            return
        }
    }

    @Test(
        "a reported unreplied flow that gets its reply from a backend gone since: cleared, then stale at the next due")
    func unrepliedThenStale() {
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        tracker.beginDump(neighbours: Self.view(.reachable, confirmed: 1))
        let t0: UInt64 = 1_800_000_000 * Self.second
        guard case .stuck = tracker.observe(Self.stuck, now: t0, fromDump: true) else {
            Issue.record("the unreplied flow was not stuck")
            return
        }
        tracker.beginDump(neighbours: Self.view(.failed, mac: nil))
        guard
            case .cleared(_, _, _, .replied, .unreplied) = tracker.observe(
                Self.answered, now: t0 + Self.second, fromDump: true)
        else {
            Issue.record("the reply did not clear the stuck flow")
            return
        }
        guard case .staleBackend = tracker.due(now: t0 + Self.second).first else {
            Issue.record("the replied flow to the gone backend was not stale at the next due")
            return
        }
        #expect(tracker.count == 1)
    }

    @Test("an event's flow is judged stale only on tables read after it began; the next dump judges the others")
    func eventsNeedNewerTables() {
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        tracker.beginDump(neighbours: Self.view(.failed, mac: nil))
        var young = Self.answered
        young.startNanoseconds = Self.readAt.nanoseconds + Self.second
        #expect(tracker.observe(young, now: Self.readAt.nanoseconds + 2 * Self.second, fromDump: false) == nil)
        var old = young
        old.startNanoseconds = Self.readAt.nanoseconds - Self.second
        old.id = (old.id ?? 0) &+ 1
        guard case .staleBackend = tracker.observe(old, now: Self.readAt.nanoseconds + 2 * Self.second, fromDump: false)
        else {
            Issue.record("a flow older than the tables was not judged")
            return
        }
    }

    @Test("a stale flow that starts dying is cleared as destroyed")
    func staleDying() {
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        tracker.beginDump(neighbours: Self.view(.failed, mac: nil))
        let t0: UInt64 = 1_800_000_000 * Self.second
        _ = tracker.observe(Self.answered, now: t0, fromDump: true)
        var dying = Self.answered
        dying.status.insert(.dying)
        guard
            case .cleared(_, _, _, .destroyed, .staleBackend) = tracker.observe(
                dying, now: t0 + Self.second, fromDump: false)
        else {
            Issue.record("a dying stale flow was not cleared as destroyed")
            return
        }
    }

    @Test("the causes, most specific first: hairpin, gone backend, bridge-nf off, left-over of the fix")
    func causeOrder() {
        let off: BridgeNetfilterState = [.ipv4: false]
        let on = BridgeNetfilterState(sysctls: [.ipv4: true], bridges: [Self.cni0])
        let ns = NetworkNamespace.named("node")
        let evidence = BackendEvidence(kind: .failed, backend: Self.backend, interface: "cni0")
        var hairpin = Self.stuck
        hairpin.reply.source = hairpin.original.source
        #expect(StuckRules.diagnose(hairpin, bridgeNetfilter: off, namespace: ns, backend: evidence).code == "hairpin")
        let dead = StuckRules.diagnose(Self.stuck, bridgeNetfilter: off, namespace: ns, backend: evidence)
        #expect(dead.code == "backend-unreachable")
        #expect(dead.explanation.contains("no host answers ARP for 10.224.1.56 on cni0"))
        #expect(dead.fix?.hasSuffix("conntrack -D -p tcp --orig-dst 10.233.53.172 --reply-src 10.224.1.56") == true)
        #expect(
            StuckRules.diagnose(Self.stuck, bridgeNetfilter: off, namespace: ns, backendAnswers: true).code
                == "bridge-nf-call-iptables-disabled")
        let unsure = StuckRules.diagnose(Self.stuck, bridgeNetfilter: off, namespace: ns, backendAnswers: false)
        #expect(unsure.code == "unknown", "bridge-nf is off, but the backend may be gone")
        #expect(unsure.explanation.contains("If the backend pod exists, the switch is the cause"))
        let since = WallTime(nanoseconds: 1_800_000_000 * Self.second)
        let leftover = StuckRules.diagnose(Self.stuck, bridgeNetfilter: on, namespace: ns, since: since)
        #expect(leftover.code == "unknown")
        #expect(leftover.explanation.contains("predates the fix and expires in \(Self.stuck.timeout!) s"))
        let window = TimeWindow(
            after: WallTime(nanoseconds: since.nanoseconds + 5 * Self.second),
            before: WallTime(nanoseconds: since.nanoseconds + 15 * Self.second))
        let seen = StuckRules.diagnose(Self.stuck, bridgeNetfilter: on, namespace: ns, since: since, turnedOn: window)
        #expect(seen.code == "unknown", "nothing left to fix: no tool keyed on the code may act")
        #expect(seen.explanation.contains("this watch saw it turned on between"))
        let later = StuckRules.diagnose(
            Self.stuck, bridgeNetfilter: on, namespace: ns, since: window.before, turnedOn: window)
        #expect(later.code == "unknown", "a flow begun after the flip is no left-over of it")
    }

    @Test("a stale finding is a dnat-stale-backend alert, and its own table in text")
    func staleOutput() throws {
        let flow = Self.answered
        let finding = StuckFinding(
            flow: flow, kind: .staleBackend, since: WallTime(nanoseconds: 1_795_739_900 * Self.second),
            age: 40 * Self.second, ageFromKernel: true, subnet: Self.bridge,
            attribution: Attribution(service: KubeObjectRef(namespace: "shop", name: "cart")),
            diagnosis: .backendUnreachable(
                BackendEvidence(kind: .linkAddressGone(Self.backendMAC), backend: Self.backend, interface: "cni0"),
                flow: flow, stale: true, service: KubeObjectRef(namespace: "shop", name: "cart")))
        var json = JSONWriter(capacity: 4096)
        StuckReport.appendJSON(finding, time: WallTime(nanoseconds: 1_795_740_000 * Self.second), into: &json)
        let line = String(decoding: json.bytes, as: UTF8.self)
        let value = try StrictJSON.parse(line)
        #expect(value[path: "event", "action"]?.stringValue == "dnat-stale-backend")
        #expect(value[path: "ctwatch", "diagnosis", "code"]?.stringValue == "backend-unreachable")
        #expect(value[path: "ctwatch", "diagnosis", "explanation"]?.stringValue?.contains("black-holed") == true)
        let fix = value[path: "ctwatch", "diagnosis", "fix"]?.stringValue
        #expect(fix?.contains("-l kubernetes.io/service-name=cart") == true)
        var cleared = finding
        cleared.cleared = .reachable
        var again = JSONWriter(capacity: 4096)
        StuckReport.appendJSON(cleared, time: WallTime(nanoseconds: 1_795_740_000 * Self.second), into: &again)
        #expect(String(decoding: again.bytes, as: UTF8.self).contains(#""action":"dnat-stale-backend-cleared""#))
        let text = StuckReport.table([finding])
        #expect(text.first?.hasPrefix("DNAT'ed to a backend that is gone") == true)
        #expect(text.contains { $0.contains("ESTABLISHED") })
    }

    @Test("doctor: with bridge netfilter on, ports without hairpin warn; with it off, hairpin mode is not consulted")
    func hairpinPorts() {
        func port(_ index: Int, _ name: String, hairpin: Bool) -> NetworkInterface {
            NetworkInterface(
                index: index, name: name, kind: "veth", addresses: [], master: 3,
                bridgePort: BridgePortOptions(hairpin: hairpin))
        }
        let ports = [port(7, "vethA", hairpin: false), port(8, "vethB", hairpin: true)]
        func inputs(_ sysctl: String) -> Doctor.Inputs {
            Doctor.Inputs(
                sysctls: ["net.bridge.bridge-nf-call-iptables": sysctl, "net.bridge.bridge-nf-call-ip6tables": sysctl],
                statistics: TableStatistics(entries: 1, maxEntries: 100, perCPU: [CPUStatistics(cpu: 0)]),
                bridges: [Self.cni0], ports: ports, namespace: .named("node"))
        }
        let warned = Doctor.check(inputs("1")).first { $0.check == "cni0 hairpin" }
        #expect(warned?.severity == .warn)
        #expect(warned?.value == "off on 1 of 2 ports (vethA)")
        #expect(warned?.fix?.hasPrefix("ip link set vethA type bridge_slave hairpin on") == true)
        #expect(!Doctor.check(inputs("0")).contains { $0.check == "cni0 hairpin" })
        var promiscuous = inputs("1")
        promiscuous.bridges[0].promiscuous = true
        let explained = Doctor.check(promiscuous).first { $0.check == "cni0 hairpin" }
        #expect(
            explained?.explanation.contains("cni0 is promiscuous (kubelet's promiscuous-bridge hairpin mode)") == true)
        #expect(warned?.explanation.contains("promiscuous") == false)
    }
}
