import Conntrack

/// StuckRules decides which flows count as stuck ClusterIP flows: DNAT'ed,
/// unreplied for `minAge`, source and backend inside one bridge subnet,
/// destination a service address: a ClusterIP, or one of the node's own
/// addresses (a NodePort called from a pod). And which DNAT'ed flows may be
/// stale: any reply state and any client, a backend in a bridge subnet (the
/// neighbour table then says whether the backend is gone).
///
/// Built once per command from the parsed options; only `cluster` changes,
/// when a live Kubernetes view does (`with(cluster:)`). The scan, the
/// tracker and the watch share the value (it is Sendable, and its arrays are
/// shared, not copied).
public struct StuckRules: Sendable {
    /// The bridge subnets (from --cidr or discovered).
    public let subnets: [CIDR]
    /// Service ranges (--service-cidr); empty: any destination outside the bridge subnet.
    public let serviceRanges: [CIDR]
    /// The node namespace's own addresses: a pod calling one of them on a
    /// NodePort is DNAT'ed like a ClusterIP call, though the address may lie
    /// inside the bridge subnet (the bridge's own address).
    public let nodeAddresses: [IPAddress]
    /// Service addresses the node holds for kube-proxy's IPVS mode (those on
    /// `kube-ipvs0`): a flow to one is a Service flow, whatever the ranges say.
    public let serviceAddresses: Set<IPAddress>

    /// Whether flows DNAT'ed without the DST_NAT status bit are looked for
    /// too (IPVS, NAT done outside nf_nat): dumps then return every unreplied
    /// entry and the tuples decide.
    public let anyDNAT: Bool

    /// How long a flow must stay unreplied to be stuck, in nanoseconds (--min-age).
    public let minAge: UInt64

    /// What the cluster says (the Kubernetes API, or kubectl files): when it
    /// knows Services, a flow is a Service flow when its original destination
    /// is one of theirs (with the port), not by guess; it names pods and
    /// Services, and knows each Service's endpoints. Holds `nodeAddresses` too.
    public private(set) var cluster = ClusterView()

    /// The kernel-side filter: DST_NAT set, whatever the reply state (a
    /// replied flow to a gone backend is stale); with `anyDNAT`, every entry.
    /// Checked again in Swift.
    public let dumpFilter: FlowFilter

    public init(
        subnets: [CIDR], serviceRanges: [CIDR] = [], nodeAddresses: [IPAddress] = [],
        serviceAddresses: some Sequence<IPAddress> = [IPAddress](), anyDNAT: Bool = false, minAge: Duration = .zero
    ) {
        self.subnets = subnets
        self.serviceRanges = serviceRanges
        self.nodeAddresses = nodeAddresses
        self.serviceAddresses = Set(serviceAddresses)
        self.anyDNAT = anyDNAT
        self.minAge = Self.nanoseconds(minAge)
        var filter = FlowFilter()
        filter.status = anyDNAT ? nil : (.dstNAT, .dstNAT)
        dumpFilter = filter
    }

    /// The same rules with another `minAge`.
    public func with(minAge: Duration) -> StuckRules {
        var rules = StuckRules(
            subnets: subnets, serviceRanges: serviceRanges, nodeAddresses: nodeAddresses,
            serviceAddresses: serviceAddresses, anyDNAT: anyDNAT, minAge: minAge)
        rules.cluster = cluster
        return rules
    }

    /// The same rules with another view of the cluster (the node's own addresses added to it).
    public func with(cluster: ClusterView) -> StuckRules {
        var rules = self
        rules.cluster = cluster.addingNodeAddresses(nodeAddresses)
        return rules
    }

    /// A duration as nanoseconds, clamped to 0...UInt64.max (a negative or
    /// huge one must not trap in the conversion).
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return overflow || carry ? .max : sum
    }

    /// The bridge subnet a candidate lives in, nil when the flow is not a candidate.
    public func subnet(for flow: Flow) -> CIDR? {
        guard isDNATCandidate(flow), flow.isUnreplied,
            let subnet = subnets.first(where: { $0.contains(flow.original.source) && $0.contains(flow.reply.source) })
        else { return nil }
        return isServiceFlow(flow, subnet: subnet) ? subnet : nil
    }

    /// Whether the flow is DNAT'ed the way the rules look for, of a protocol with
    /// ports, and not being destroyed. Without anyDNAT only what the dump filter
    /// can see counts (the DST_NAT bit): events and dumps then agree, and a flow
    /// missing from dumps is gone.
    func isDNATCandidate(_ flow: Flow) -> Bool {
        (flow.transport == .tcp || flow.transport == .udp || flow.transport == .sctp)
            && (anyDNAT ? flow.isDestinationNATed : flow.status.contains(.dstNAT)) && !flow.status.contains(.dying)
    }

    /// Whether the flow calls a Service, for pods of `subnet`: its destination
    /// and port are a known Service's (cluster IP, external IP, load-balancer
    /// IP, or a node port on one of the node's addresses), whatever the ranges
    /// say; an address on `kube-ipvs0` (IPVS mode); or by the ranges: inside
    /// --service-cidr, else outside the subnet; or one of the node's own
    /// addresses (a NodePort or a hostPort).
    func isServiceFlow(_ flow: Flow, subnet: CIDR) -> Bool {
        let destination = flow.original.destination
        if cluster.serviceCount > 0 && service(of: flow) != nil { return true }
        if serviceAddresses.contains(destination) { return true }
        let inRange =
            serviceRanges.isEmpty
            ? !subnet.contains(destination) : serviceRanges.contains(where: { $0.contains(destination) })
        return inRange || isNodeAddress(destination)
    }

    /// The Service the flow calls, when the cluster's Services are known.
    public func service(of flow: Flow) -> ServiceMatch? {
        cluster.service(
            destination: flow.original.destination, port: flow.original.destinationPort, transport: flow.transport)
    }

    /// The pods and the Service the cluster knows for the flow's addresses.
    public func attribution(of flow: Flow) -> Attribution {
        cluster.attribution(of: flow)
    }

    /// The Service the flow was DNAT'ed for, when its backend is not a ready
    /// or serving endpoint of it now; nil when it is, or when the Service or
    /// its endpoints are unknown.
    public func staleEndpoint(of flow: Flow) -> KubeObjectRef? {
        guard cluster.endpointSliceCount > 0, let service = service(of: flow)?.service,
            !cluster.isEndpoint(flow.reply.source, of: service),
            cluster.endpoints(of: service) != nil  // slices name the Service: its endpoints are known
        else { return nil }
        return service
    }

    /// The bridge subnet of a DNAT'ed flow's backend when its destination is a
    /// service address, whatever its reply state and wherever its client: the
    /// flows whose backend may be gone. Nil for any other flow.
    public func dnatSubnet(for flow: Flow) -> CIDR? {
        guard isDNATCandidate(flow), let subnet = subnets.first(where: { $0.contains(flow.reply.source) }) else {
            return nil
        }
        return isServiceFlow(flow, subnet: subnet) ? subnet : nil
    }

    /// Whether `address` is one of the node's own: a DNAT'ed call to it is a NodePort call.
    public func isNodeAddress(_ address: IPAddress) -> Bool {
        nodeAddresses.contains(address)
    }

    /// Why the flow is stuck, most specific first: a hairpin; its backend gone
    /// (`backend`, the neighbour table's evidence); bridge netfilter off for
    /// its family on the bridge its client sits on (the sysctl and the
    /// bridge's own option both off), when the backend lives; bridge netfilter
    /// on now, so most likely a left-over from before it was turned on (certain
    /// when `turnedOn`, the interval in which a watch saw it flip, follows the
    /// flow's start). `backendAnswers` is whether the neighbour table shows
    /// the backend alive: false when it cannot tell, nil when it was not read.
    public static func diagnose(
        _ flow: Flow, bridgeNetfilter: BridgeNetfilterState, namespace: NetworkNamespace,
        backend: BackendEvidence? = nil, backendAnswers: Bool? = nil, service: KubeObjectRef? = nil,
        since: WallTime? = nil, turnedOn: TimeWindow? = nil
    ) -> Diagnosis {
        var memo = DiagnosisMemo()
        return diagnose(
            flow, bridgeNetfilter: bridgeNetfilter, namespace: namespace, backend: backend,
            backendAnswers: backendAnswers, service: service, since: since, turnedOn: turnedOn, memo: &memo)
    }

    /// The same, taking the diagnoses that depend on a few values only from `memo`.
    public static func diagnose(
        _ flow: Flow, bridgeNetfilter: BridgeNetfilterState, namespace: NetworkNamespace,
        backend: BackendEvidence? = nil, backendAnswers: Bool? = nil, service: KubeObjectRef? = nil,
        since: WallTime? = nil, turnedOn: TimeWindow? = nil, memo: inout DiagnosisMemo
    ) -> Diagnosis {
        if flow.original.source == flow.reply.source { return .hairpin }
        if let backend { return .backendUnreachable(backend, flow: flow, stale: false, service: service) }
        let bridge = bridgeNetfilter.bridge(holding: flow.original.source)
        if !bridgeNetfilter.isOn(flow.family, source: flow.original.source) {
            if backendAnswers == false { return .bridgeNetfilterOffBackendUnknown(flow, namespace: namespace) }
            return memo.diagnosis(
                .bridgeNetfilterOff(
                    flow.family, flow.transport, namespace, bridge: bridge?.name,
                    option: bridge?.bridgeNetfilter?.calls(flow.family) == true,
                    loaded: bridgeNetfilter.sysctls[flow.family] != nil))
        }
        guard let since else { return .unknown }
        if Diagnosis.predatesSwitch(since, turnedOn) {
            // A left-over of the switch: its fix names the flow.
            return .afterBridgeNetfilterOn(
                flow, since: since, bridge: bridge?.name, backendAnswers: backendAnswers == true, turnedOn: turnedOn)
        }
        return memo.diagnosis(
            .bridgeNetfilterOn(
                flow.family, bridge: bridge?.name, backendAnswers: backendAnswers == true, timeout: flow.timeout))
    }
}
