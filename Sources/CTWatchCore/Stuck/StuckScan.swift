import Conntrack

/// StuckScan is what `ctwatch stuck` computes: which ClusterIP DNAT flows are
/// stuck unreplied between pods of one bridge subnet, with their pods and
/// cause. Read-only: it never changes a sysctl or the table. It returns values
/// (findings, notices); writing them and keeping time is the caller's.
public enum StuckScan {
    /// Options say what counts as stuck and how to name it.
    public struct Options: Sendable {
        public var namespace: NetworkNamespace = .current
        /// Bridge subnets; empty: discovered from the namespace's bridge interfaces.
        public var subnets: [CIDR] = []
        public var serviceRanges: [CIDR] = []
        /// Also find flows DNAT'ed without the DST_NAT bit (see StuckRules.anyDNAT).
        /// kube-proxy's IPVS mode, seen in the namespace, sets it too (see IPVSMode).
        public var anyDNAT = false
        /// Seconds a flow must stay unreplied, 0 to 1e9.
        public var minAge: Double = 3
        /// What the cluster says: names pods and Services, knows the Services'
        /// addresses and endpoints (from the API or kubectl files; empty: nothing).
        public var cluster = ClusterView()
        public init() {}
    }

    /// Errors of the scan itself, each one line that says what to do.
    public struct ScanError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a scan found: the number of stuck flows reported, and of those reported cleared.
    public struct Outcome: Sendable {
        public var stuck = 0
        public var cleared = 0
        public init(stuck: Int = 0, cleared: Int = 0) {
            self.stuck = stuck
            self.cleared = cleared
        }
    }

    /// Context is what the scan learned of the namespace before looking at
    /// flows: the handle, the rules built once, the bridge sysctls and options,
    /// the neighbours, and what to tell the user about the defaults chosen.
    /// A watch refreshes the node's state before each dump (`refresh`).
    public struct Context: Sendable {
        public var conntrack: Conntrack
        public var rules: StuckRules
        public var bridgeNetfilter: BridgeNetfilterState
        public var neighbours: NeighbourView
        public var notices: [StuckNotice]
        /// When the node's state was last read.
        public var readAt: WallTime
        /// Where a watch saw bridge netfilter turned on, and when.
        public var turnedOn: [BridgeNetfilterState.BridgeSwitch: TimeWindow] = [:]
    }

    /// Opens the namespace, reads its interfaces' addresses (the bridge subnets
    /// when none were given, the node's own addresses, and kube-proxy's IPVS
    /// mode with its Service addresses: that mode turns `anyDNAT` on, with a
    /// notice), and reads the sysctls.
    public static func prepare(_ options: Options) throws -> Context {
        // Duration traps on a NaN or an infinite number of seconds.
        guard options.minAge >= 0 && options.minAge <= 1e9 else {
            throw ScanError(description: "min-age \(options.minAge) is out of range: give 0 to 1000000000 seconds")
        }
        let conntrack = try Conntrack(namespace: options.namespace)
        var subnets = options.subnets
        var notices: [StuckNotice] = []
        // Read once per scan: the rules look at every flow.
        let interfaces = try conntrack.interfaces()
        let bridges = interfaces.filter(\.isPodBridge)
        let ipvs = try IPVSMode.detect(conntrack, interfaces: interfaces)
        if let ipvs { notices.append(.ipvsMode(namespace: options.namespace, mode: ipvs)) }
        if subnets.isEmpty && !options.cluster.podCIDRs.isEmpty {
            subnets = options.cluster.podCIDRs
            notices.append(
                .discoveredSubnets(
                    namespace: options.namespace, subnets: subnets.map { "\($0) (the node's spec.podCIDRs)" }))
        }
        if subnets.isEmpty {
            var found: [String] = []
            for bridge in bridges {
                for address in bridge.addresses where !isLinkLocal(address.address) {
                    if !subnets.contains(address.subnet) {
                        subnets.append(address.subnet)
                        found.append("\(address.subnet) (\(bridge.name))")
                    }
                }
            }
            guard !subnets.isEmpty else {
                throw ScanError(
                    description:
                        "no bridge interface with an address in \(options.namespace): give the pod subnet with --cidr (e.g. --cidr 10.224.1.0/24)"
                )
            }
            notices.append(.discoveredSubnets(namespace: options.namespace, subnets: found))
        }
        for range in options.serviceRanges where !subnets.contains(where: { $0.family == range.family }) {
            throw ScanError(
                description:
                    "--service-cidr \(range) is \(range.family == .ipv4 ? "IPv4" : "IPv6") but no bridge subnet of "
                    + "\(options.namespace) is: give a --cidr of that family, or leave the --service-cidr out")
        }
        let readAt = WallTime.now()
        let (neighbours, unreadable) = neighbourView(conntrack, interfaces: interfaces)
        if let unreadable { notices.append(unreadable) }
        return Context(
            conntrack: conntrack,
            rules: StuckRules(
                subnets: subnets, serviceRanges: options.serviceRanges,
                nodeAddresses: interfaces.filter { !$0.isIPVSServiceInterface }.flatMap { $0.addresses.map(\.address) },
                serviceAddresses: ipvs?.serviceAddresses ?? [], anyDNAT: options.anyDNAT || ipvs != nil,
                minAge: .seconds(options.minAge)
            ).with(cluster: options.cluster),
            bridgeNetfilter: try bridgeNetfilter(conntrack, bridges: bridges),
            neighbours: neighbours, notices: notices, readAt: readAt)
    }

    /// Reads the node's state again (bridge netfilter, neighbours), as a watch
    /// does before each dump. Returns a notice per bridge seen turned on since the last read.
    public static func refresh(_ context: inout Context) throws -> [StuckNotice] {
        let interfaces = try context.conntrack.interfaces()
        let now = WallTime.now()
        let state = try bridgeNetfilter(context.conntrack, bridges: interfaces.filter(\.isPodBridge))
        let window = TimeWindow(after: context.readAt, before: now)
        var flipped: [(bridge: String, families: [IPAddress.Family])] = []
        for turned in state.turnedOn(since: context.bridgeNetfilter) {
            context.turnedOn[turned] = window
            if let last = flipped.indices.last, flipped[last].bridge == turned.bridge {
                flipped[last].families.append(turned.family)
            } else {
                flipped.append((turned.bridge, [turned.family]))
            }
        }
        context.bridgeNetfilter = state
        let (neighbours, unreadable) = neighbourView(context.conntrack, interfaces: interfaces)
        context.neighbours = neighbours
        context.readAt = now
        return flipped.map { .bridgeNetfilterTurnedOn(bridge: $0.bridge, families: $0.families, window: window) }
            + (unreadable.map { [$0] } ?? [])
    }

    /// Reads the neighbours again when a finding is newer than the last read:
    /// a watch between two dumps must not judge a flow on tables read before it began.
    public static func refreshNeighbours(_ context: inout Context, before since: WallTime) throws -> [StuckNotice] {
        guard context.neighbours.readAt < since else { return [] }
        let (neighbours, unreadable) = neighbourView(context.conntrack, interfaces: try context.conntrack.interfaces())
        context.neighbours = neighbours
        return unreadable.map { [$0] } ?? []
    }

    /// The neighbour table and the bridges' forwarding databases, read once per
    /// scan. When they cannot be read the scan goes on without them (an empty
    /// view accuses no backend), with a notice saying so.
    static func neighbourView(_ conntrack: Conntrack, interfaces: [NetworkInterface]) -> (
        NeighbourView, StuckNotice?
    ) {
        let readAt = WallTime.now()
        do {
            let view = NeighbourView(
                neighbours: try conntrack.neighbours(), forwarding: try conntrack.bridgeForwardingEntries(),
                interfaces: interfaces, readAt: readAt)
            return (view, nil)
        } catch {
            return (NeighbourView(), .neighboursUnreadable(namespace: conntrack.namespace, reason: "\(error)"))
        }
    }

    /// Whether the bridges of `conntrack`'s namespace pass their traffic
    /// through iptables / ip6tables, read now (the metrics' view of it).
    public static func bridgeNetfilter(of conntrack: Conntrack) throws -> BridgeNetfilterState {
        try bridgeNetfilter(conntrack, bridges: conntrack.interfaces().filter(\.isPodBridge))
    }

    /// Whether bridged traffic passes iptables / ip6tables: the sysctls (absent:
    /// br_netfilter not loaded) and each of `bridges`' own options.
    static func bridgeNetfilter(_ conntrack: Conntrack, bridges: [NetworkInterface]) throws -> BridgeNetfilterState {
        BridgeNetfilterState(sysctls: sysctls(try conntrack.sysctls(BridgeNetfilter.sysctls)), bridges: bridges)
    }

    /// The bridge-nf-call sysctls' values as booleans per family (absent: not read).
    static func sysctls(_ values: [String: String]) -> [IPAddress.Family: Bool] {
        var result: [IPAddress.Family: Bool] = [:]
        for family in [IPAddress.Family.ipv4, .ipv6] {
            if let value = values[BridgeNetfilter.sysctl(family)] { result[family] = value != "0" }
        }
        return result
    }

    static func isLinkLocal(_ ip: IPAddress) -> Bool {
        ip.family == .ipv6 && ip.high >> 54 == 0x3fa  // fe80::/10
    }

    /// Dumps the DNAT'ed unreplied entries into the tracker; returns what became
    /// stuck on sight. The dump is received on a thread of its own; a cancelled
    /// task stops waiting for it and gets CancellationError, with the dump pass
    /// left open (a partial pass must not count as seeing what it missed).
    @discardableResult
    public static func dump(_ context: Context, into tracker: inout StuckTracker) async throws -> [StuckTracker.Change]
    {
        tracker.beginDump(neighbours: context.neighbours)
        var changes: [StuckTracker.Change] = []
        for try await batch in context.conntrack.dumpBatches(filter: context.rules.dumpFilter) {
            try Task.checkCancellation()
            let now = WallTime.now().nanoseconds
            for flow in batch {
                if let change = tracker.observe(flow, now: now, fromDump: true) { changes.append(change) }
            }
        }
        try Task.checkCancellation()
        return changes
    }

    /// The finding to report for a tracker change, with its pods, service and cause.
    public static func finding(_ change: StuckTracker.Change, options: Options, context: Context) -> StuckFinding {
        var memo = DiagnosisMemo()
        return finding(change, options: options, context: context, memo: &memo)
    }

    /// The same, reusing the diagnoses of `memo`: a caller reporting many
    /// findings keeps one memo across them.
    public static func finding(
        _ change: StuckTracker.Change, options: Options, context: Context, memo: inout DiagnosisMemo
    ) -> StuckFinding {
        switch change {
        case .stuck(let flow, let since, let age, let subnet):
            return make(
                flow, kind: .unreplied, since: since, age: age, subnet: subnet, cleared: nil, options: options,
                context: context, memo: &memo)
        case .staleBackend(let flow, let since, let age, let subnet):
            return make(
                flow, kind: .staleBackend, since: since, age: age, subnet: subnet, cleared: nil, options: options,
                context: context, memo: &memo)
        case .cleared(let flow, let since, let age, let reason, let kind):
            let subnet =
                context.rules.subnets.first { $0.contains(flow.reply.source) }
                ?? CIDR(address: flow.reply.source, prefixLength: flow.family == .ipv4 ? 32 : 128)
            return make(
                flow, kind: kind, since: since, age: age, subnet: subnet, cleared: reason, options: options,
                context: context, memo: &memo)
        }
    }

    private static func make(
        _ flow: Flow, kind: StuckTracker.Kind, since: WallTime, age: UInt64, subnet: CIDR,
        cleared: StuckTracker.ClearReason?, options: Options, context: Context, memo: inout DiagnosisMemo
    ) -> StuckFinding {
        let attribution = context.rules.attribution(of: flow)
        let evidence = context.neighbours.evidence(against: flow.reply.source)
        let diagnosis: Diagnosis
        switch kind {
        case .staleBackend:
            if evidence == nil, let service = context.rules.staleEndpoint(of: flow) {
                diagnosis = Diagnosis.staleEndpoint(
                    flow: flow, service: service,
                    endpoints: (context.rules.cluster.endpoints(of: service)?.addresses ?? []).filter {
                        $0.family == flow.family
                    }, stale: true)
            } else {
                // A cleared stale flow's backend may answer again.
                diagnosis = Diagnosis.backendUnreachable(
                    evidence ?? BackendEvidence(kind: .reportedEarlier, backend: flow.reply.source, interface: nil),
                    flow: flow, stale: true, service: attribution.service)
            }
        case .unreplied:
            let bridge = context.bridgeNetfilter.bridge(holding: flow.original.source)
            diagnosis = StuckRules.diagnose(
                flow, bridgeNetfilter: context.bridgeNetfilter, namespace: options.namespace, backend: evidence,
                backendAnswers: context.neighbours.isEmpty ? nil : context.neighbours.answers(flow.reply.source),
                service: attribution.service, since: since,
                turnedOn: bridge.flatMap {
                    context.turnedOn[BridgeNetfilterState.BridgeSwitch(bridge: $0.name, family: flow.family)]
                }, memo: &memo)
        }
        return StuckFinding(
            flow: flow, kind: kind, since: since, age: age, ageFromKernel: flow.startNanoseconds != nil,
            subnet: subnet, nodePort: context.rules.isNodeAddress(flow.original.destination),
            attribution: attribution, diagnosis: diagnosis, cleared: cleared)
    }

    /// `3`, `0.5`: seconds as the user wrote them.
    public static func formatSeconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
