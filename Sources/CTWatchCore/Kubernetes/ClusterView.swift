import Conntrack

/// ClusterView is an immutable snapshot of `ClusterState` arranged for
/// lookups by address: which pod owns an address, which Service a
/// destination reaches, and which endpoints a Service has now.
///
/// It shares the state's objects (copy-on-write) and adds only sorted
/// tables of small fixed-size entries, searched by bisection. A value type,
/// safe to share between tasks.
public struct ClusterView: Sendable {
    /// The node's own addresses, ordered, each once: the Node's
    /// `status.addresses` plus any added with `addingNodeAddresses(_:)`.
    /// NodePorts are served on these.
    public private(set) var nodeAddresses: [IPAddress]
    /// The Node's `spec.podCIDRs` (else `spec.podCIDR`).
    public let podCIDRs: [CIDR]
    /// Pods held (on a live view: this node's pods).
    public let podCount: Int
    public let serviceCount: Int
    public let endpointSliceCount: Int
    /// Endpoints of all slices, in any condition.
    public let endpointCount: Int

    /// Which pod owns each address, among the pods held (slice targets are searched after).
    private let pods: [IPAddress: KubeObjectRef]
    /// Ordered by reference; the tables below point into it.
    private let services: [ServiceObject]
    private let serviceAddresses: [AddressEntry]
    private let nodePorts: [NodePortEntry]
    /// Ordered by namespace, Service name and slice name, so a Service's slices are adjacent.
    private let slices: [EndpointSliceObject]
    /// The addresses of endpoints whose target is a pod, IPv4 apart (most of
    /// them, at a third of the size).
    private let targets4: [TargetEntry<UInt32>]
    private let targets6: [TargetEntry<IPAddress>]

    private struct AddressEntry {
        let address: IPAddress
        /// `ServiceMatch.Kind` by its order in `kinds`.
        let kind: UInt8
        let service: UInt32
    }

    private struct NodePortEntry {
        let nodePort: UInt16
        let transport: UInt8
        let port: UInt16
        let service: UInt32
    }

    /// An address of an endpoint whose target is a pod: 12 bytes for IPv4.
    private struct TargetEntry<Address: Comparable & Sendable>: Sendable {
        let address: Address
        /// 0 ready, 1 serving, 2 neither: the lower claim wins.
        let order: UInt8
        /// Position in the slice (a slice holds at most 1,000 endpoints).
        let endpoint: UInt16
        let slice: UInt32

        /// Ordered by address, then by claim, then by place.
        static func < (a: Self, b: Self) -> Bool {
            (a.address, a.order, a.slice, a.endpoint) < (b.address, b.order, b.slice, b.endpoint)
        }
    }

    private static let kinds: [ServiceMatch.Kind] = [.clusterIP, .externalIP, .loadBalancerIP]

    /// An empty view: nothing known yet.
    public init() {
        self.init(state: ClusterState())
    }

    init(state: ClusterState) {
        var ownAddresses: [IPAddress] = []
        var cidrs: [CIDR] = []
        for node in state.nodes.values.sorted(by: { $0.name < $1.name }) {
            ownAddresses += node.addresses.map(\.address)
            for cidr in node.podCIDRs where !cidrs.contains(cidr) { cidrs.append(cidr) }
        }
        nodeAddresses = Array(Set(ownAddresses)).sorted()
        podCIDRs = cidrs

        var claims: [IPAddress: PodObject] = [:]
        for pod in state.pods.values where !pod.hostNetwork {
            for address in pod.addresses {
                if let current = claims[address],
                    !(pod.beats(current) || (!current.beats(pod) && pod.ref < current.ref))
                {
                    continue
                }
                claims[address] = pod
            }
        }
        pods = claims.mapValues(\.ref)
        podCount = state.pods.count

        let services = state.services.values.sorted { $0.ref < $1.ref }
        var addresses: [AddressEntry] = []
        var nodePorts: [NodePortEntry] = []
        for (index, service) in services.enumerated() {
            let position = UInt32(index)
            for (kind, list) in [service.clusterIPs, service.externalIPs, service.loadBalancerIPs].enumerated() {
                for address in list {
                    addresses.append(AddressEntry(address: address, kind: UInt8(kind), service: position))
                }
            }
            for port in service.ports {
                guard let nodePort = port.nodePort else { continue }
                nodePorts.append(
                    NodePortEntry(
                        nodePort: nodePort, transport: port.transport.rawValue, port: port.port, service: position))
            }
        }
        addresses.sort { ($0.address, $0.kind, $0.service) < ($1.address, $1.kind, $1.service) }
        nodePorts.sort { ($0.nodePort, $0.transport, $0.service) < ($1.nodePort, $1.transport, $1.service) }
        self.services = services
        serviceAddresses = addresses
        self.nodePorts = nodePorts
        serviceCount = services.count

        let slices = state.endpointSlices.values.sorted {
            ($0.ref.namespace, $0.serviceName ?? "", $0.ref.name) < (
                $1.ref.namespace, $1.serviceName ?? "", $1.ref.name
            )
        }
        var targets4: [TargetEntry<UInt32>] = []
        var targets6: [TargetEntry<IPAddress>] = []
        var endpointCount = 0
        for (sliceIndex, slice) in slices.enumerated() {
            let table = slice.table
            endpointCount += table.count
            for index in 0..<min(table.count, Int(UInt16.max)) {
                let flags = table.flags(at: index)
                guard flags.contains(.pod) else { continue }
                let order: UInt8 = flags.contains(.ready) ? 0 : flags.contains(.serving) ? 1 : 2
                for address in [table.address(at: index)] + table.additionalAddresses(at: index) {
                    if address.family == .ipv4 {
                        targets4.append(
                            TargetEntry(
                                address: address.ipv4Value, order: order, endpoint: UInt16(index),
                                slice: UInt32(sliceIndex)))
                    } else {
                        targets6.append(
                            TargetEntry(
                                address: address, order: order, endpoint: UInt16(index), slice: UInt32(sliceIndex)))
                    }
                }
            }
        }
        targets4.sort(by: <)
        targets6.sort(by: <)
        self.slices = slices
        self.targets4 = targets4
        self.targets6 = targets6
        self.endpointCount = endpointCount
        endpointSliceCount = slices.count
    }

    /// addingNodeAddresses is this view with more addresses of the node
    /// itself (the node network namespace's interface addresses, which
    /// NodePorts are served on too).
    public func addingNodeAddresses(_ addresses: some Sequence<IPAddress>) -> ClusterView {
        var view = self
        view.nodeAddresses = Array(Set(nodeAddresses).union(addresses)).sorted()
        return view
    }

    // MARK: pods

    /// pod names the pod that owns `ip`: a pod held (Running first,
    /// host-network pods never), else the pod an EndpointSlice names as the
    /// target of an endpoint with that address (ready first), which covers
    /// backends on other nodes.
    public func pod(for ip: IPAddress) -> KubeObjectRef? {
        if let pod = pods[ip] { return pod }
        return ip.family == .ipv4 ? target(ip.ipv4Value, in: targets4) : target(ip, in: targets6)
    }

    /// The pod of the best claim on `address` in `targets`.
    private func target<Address>(_ address: Address, in targets: [TargetEntry<Address>]) -> KubeObjectRef? {
        let index = Self.partition(targets) { $0.address < address }
        guard index < targets.count, targets[index].address == address else { return nil }
        let slice = slices[Int(targets[index].slice)]
        return slice.table.pod(at: Int(targets[index].endpoint), namespace: slice.ref.namespace)
    }

    // MARK: Services

    /// isServiceAddress is true when `ip` is a cluster IP, external IP or
    /// load-balancer IP of a Service, whatever the port.
    public func isServiceAddress(_ ip: IPAddress) -> Bool {
        let index = Self.partition(serviceAddresses) { $0.address < ip }
        return index < serviceAddresses.count && serviceAddresses[index].address == ip
    }

    /// isNodeAddress is true when `ip` is one of `nodeAddresses`.
    public func isNodeAddress(_ ip: IPAddress) -> Bool {
        let index = Self.partition(nodeAddresses) { $0 < ip }
        return index < nodeAddresses.count && nodeAddresses[index] == ip
    }

    /// service says which Service a flow to `destination`:`port` over
    /// `transport` reaches: a Service with that address (cluster IP, then
    /// external IP, then load-balancer IP) exposing that port and protocol,
    /// else, when `destination` is one of the node's addresses, the Service
    /// whose node port it is. Nil when none does (an address of a Service on
    /// a port it does not expose included).
    public func service(destination: IPAddress, port: UInt16, transport: TransportProtocol) -> ServiceMatch? {
        var index = Self.partition(serviceAddresses) { $0.address < destination }
        while index < serviceAddresses.count, serviceAddresses[index].address == destination {
            let entry = serviceAddresses[index]
            let service = services[Int(entry.service)]
            if let match = service.ports.first(where: { $0.port == port && $0.transport == transport }) {
                return ServiceMatch(service: service.ref, kind: Self.kinds[Int(entry.kind)], port: match)
            }
            index += 1
        }
        guard isNodeAddress(destination) else { return nil }
        let key = (port, transport.rawValue)
        let found = Self.partition(nodePorts) { ($0.nodePort, $0.transport) < key }
        guard found < nodePorts.count, nodePorts[found].nodePort == port,
            nodePorts[found].transport == transport.rawValue
        else { return nil }
        let service = services[Int(nodePorts[found].service)]
        guard let match = service.ports.first(where: { $0.nodePort == port && $0.transport == transport }) else {
            return nil
        }
        return ServiceMatch(service: service.ref, kind: .nodePort, port: match)
    }

    // MARK: endpoints

    /// endpoints are the ready or serving endpoints `service` has now; nil
    /// when no EndpointSlice names it (unknown, not "none").
    public func endpoints(of service: KubeObjectRef) -> ServiceEndpoints? {
        let range = sliceRange(of: service)
        guard !range.isEmpty else { return nil }
        var byAddress: [IPAddress: ServiceEndpoints.Endpoint] = [:]
        for slice in slices[range] {
            for endpoint in slice.endpoints where endpoint.isUsable {
                for address in endpoint.addresses {
                    // The same address in two slices (a move between slices): the ready one counts.
                    if let held = byAddress[address], held.ready || !endpoint.ready { continue }
                    byAddress[address] = ServiceEndpoints.Endpoint(
                        address: address, pod: endpoint.pod, nodeName: endpoint.nodeName, ready: endpoint.ready,
                        serving: endpoint.serving, terminating: endpoint.terminating)
                }
            }
        }
        return ServiceEndpoints(service: service, endpoints: byAddress.values.sorted { $0.address < $1.address })
    }

    /// isEndpoint is true when `address` is a ready or serving endpoint of
    /// `service` (a terminating endpoint still serving counts).
    public func isEndpoint(_ address: IPAddress, of service: KubeObjectRef) -> Bool {
        slices[sliceRange(of: service)].contains { slice in
            let table = slice.table
            return (0..<table.count).contains { index in
                !table.flags(at: index).isDisjoint(with: [.ready, .serving]) && table.has(address, at: index)
            }
        }
    }

    /// The positions in `slices` of the slices of `service`.
    private func sliceRange(of service: KubeObjectRef) -> Range<Int> {
        let key = (service.namespace, service.name)
        let lower = Self.partition(slices) { ($0.ref.namespace, $0.serviceName ?? "") < key }
        let upper = Self.partition(slices) { ($0.ref.namespace, $0.serviceName ?? "") <= key }
        return lower..<max(lower, upper)
    }

    /// The first index of `array` at which `isBefore` is false; `array` is
    /// ordered so that `isBefore` holds for a prefix.
    private static func partition<Element>(_ array: [Element], _ isBefore: (Element) -> Bool) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let middle = (low + high) / 2
            if isBefore(array[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
