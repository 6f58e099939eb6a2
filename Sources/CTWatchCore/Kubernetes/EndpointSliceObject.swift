import Conntrack

/// EndpointSliceObject is the part of a `discovery.k8s.io/v1` EndpointSlice
/// the cluster view keeps: the Service it serves and, per endpoint, its
/// addresses, conditions, node and pod.
///
/// The endpoints are held in an `EndpointTable`: a few flat arrays per
/// slice rather than values with several strings each, since on a large
/// cluster they are most of what a node holds. `endpoints` gives them as
/// values.
public struct EndpointSliceObject: ClusterResource, KubeItem, Hashable {
    static let kind = "EndpointSlice"
    static let listKind = "EndpointSliceList"

    public var ref: KubeObjectRef
    public var resourceVersion: String?
    /// The label `kubernetes.io/service-name`; nil for a slice no Service owns.
    public var serviceName: String?
    /// `IPv4`, `IPv6` or `FQDN` (whose endpoints have no address and are left out).
    public var addressType: String?
    public var ports: [Port]
    /// The endpoints, held compact.
    private(set) var table: EndpointTable

    /// The endpoints, in the slice's order.
    public var endpoints: [Endpoint] {
        get { (0..<table.count).map { table.endpoint(at: $0, namespace: ref.namespace) } }
        set { table = EndpointTable(newValue, namespace: ref.namespace) }
    }

    /// Passes the strings its endpoints repeat (node names, other pod
    /// namespaces) through `intern`, which returns the one copy kept.
    mutating func internStrings(_ intern: (String) -> String) {
        table.intern(intern)
    }

    /// The Service this slice belongs to, in the slice's namespace.
    public var service: KubeObjectRef? {
        serviceName.map { KubeObjectRef(namespace: ref.namespace, name: $0) }
    }

    /// Endpoint is one entry of `endpoints`.
    public struct Endpoint: Sendable, Hashable {
        /// The first address (the API says consumers should treat an
        /// endpoint's addresses as fungible, and in practice there is one).
        public var address: IPAddress
        /// Any further addresses (rare: the API allows up to 100).
        public var additionalAddresses: [IPAddress]
        /// `conditions.ready`; the API says an unset value is to be read as ready.
        public var ready: Bool
        /// `conditions.serving`: ready, whether or not terminating; unset reads as `ready`.
        public var serving: Bool
        public var terminating: Bool
        public var nodeName: String?
        /// `targetRef` when its kind is Pod.
        public var pod: KubeObjectRef?

        public init(
            address: IPAddress, additionalAddresses: [IPAddress] = [], ready: Bool = true, serving: Bool? = nil,
            terminating: Bool = false, pod: KubeObjectRef? = nil, nodeName: String? = nil
        ) {
            self.address = address
            self.additionalAddresses = additionalAddresses
            self.ready = ready
            self.serving = serving ?? ready
            self.terminating = terminating
            self.nodeName = nodeName
            self.pod = pod
        }

        /// The endpoint's addresses, first one first.
        public var addresses: [IPAddress] { [address] + additionalAddresses }

        /// True when it takes traffic: ready, or serving while terminating.
        public var isUsable: Bool { ready || serving }

        /// True when `candidate` is one of its addresses.
        public func has(_ candidate: IPAddress) -> Bool {
            address == candidate || additionalAddresses.contains(candidate)
        }
    }

    /// Port is one entry of `ports`; `port` is nil when the slice leaves it
    /// unset (all ports).
    public struct Port: Sendable, Hashable {
        public var name: String?
        public var port: UInt16?
        public var transport: TransportProtocol

        public init(name: String? = nil, port: UInt16?, transport: TransportProtocol = .tcp) {
            self.name = name
            self.port = port
            self.transport = transport
        }
    }

    public init(
        ref: KubeObjectRef, resourceVersion: String? = nil, serviceName: String?, addressType: String? = nil,
        endpoints: [Endpoint] = [], ports: [Port] = []
    ) {
        self.ref = ref
        self.resourceVersion = resourceVersion
        self.serviceName = serviceName
        self.addressType = addressType
        self.ports = ports
        table = EndpointTable(endpoints, namespace: ref.namespace)
    }

    private enum Key: String, CodingKey { case metadata, addressType, endpoints, ports }

    private struct RawEndpoint: Decodable {
        var addresses: [String]?
        var conditions: Conditions?
        var targetRef: TargetRef?
        var nodeName: String?
    }

    private struct Conditions: Decodable {
        var ready: Bool?
        var serving: Bool?
        var terminating: Bool?
    }

    private struct TargetRef: Decodable {
        var kind: String?
        var namespace: String?
        var name: String?
    }

    private struct RawPort: Decodable {
        var name: String?
        var port: Int?
        var `protocol`: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let metadata = try container.decode(ResourceMetadata.self, forKey: .metadata)
        let namespace = metadata.ref.namespace
        var endpoints = EndpointTable.Builder(namespace: namespace)
        if container.contains(.endpoints), try !container.decodeNil(forKey: .endpoints) {
            var list = try container.nestedUnkeyedContainer(forKey: .endpoints)
            if let count = list.count { endpoints = EndpointTable.Builder(namespace: namespace, capacity: count) }
            while !list.isAtEnd {
                let raw = try list.decode(RawEndpoint.self)
                var addresses: [IPAddress] = []
                for text in raw.addresses ?? [] {
                    if let address = IPAddress(text), !addresses.contains(address) { addresses.append(address) }
                }
                guard let first = addresses.first else { continue }
                var pod: KubeObjectRef?
                if let target = raw.targetRef, target.kind == "Pod", let name = target.name {
                    pod = KubeObjectRef(apiNamespace: target.namespace ?? namespace, name: name)
                }
                let ready = raw.conditions?.ready ?? true
                endpoints.append(
                    Endpoint(
                        address: first, additionalAddresses: Array(addresses.dropFirst()), ready: ready,
                        serving: raw.conditions?.serving ?? ready, terminating: raw.conditions?.terminating ?? false,
                        pod: pod, nodeName: raw.nodeName))
            }
        }
        let ports = try container.decodeIfPresent([RawPort].self, forKey: .ports) ?? []
        self.init(
            ref: metadata.ref, resourceVersion: metadata.resourceVersion,
            serviceName: metadata.labels?["kubernetes.io/service-name"],
            addressType: try container.decodeIfPresent(String.self, forKey: .addressType),
            ports: ports.compactMap { port in
                KubeTransport.parse(port.protocol).map {
                    Port(name: port.name, port: kubePort(port.port), transport: $0)
                }
            })
        table = endpoints.finish()
    }
}
