import Conntrack

/// EndpointSliceObject is the part of a `discovery.k8s.io/v1` EndpointSlice
/// the cluster view keeps: the Service it serves and, per endpoint, its
/// address, conditions and pod.
///
/// Each endpoint is stored as one value with its first address inline
/// (the API says consumers should treat an endpoint's addresses as
/// fungible, and in practice there is one), so a slice of 100 endpoints
/// costs one array, not one per endpoint.
public struct EndpointSliceObject: ClusterResource, KubeItem, Hashable {
    static let kind = "EndpointSlice"
    static let listKind = "EndpointSliceList"

    public var ref: KubeObjectRef
    public var resourceVersion: String?
    /// The label `kubernetes.io/service-name`; nil for a slice no Service owns.
    public var serviceName: String?
    /// `IPv4`, `IPv6` or `FQDN` (whose endpoints have no address and are left out).
    public var addressType: String?
    public var endpoints: [Endpoint]
    public var ports: [Port]

    /// The Service this slice belongs to, in the slice's namespace.
    public var service: KubeObjectRef? {
        serviceName.map { KubeObjectRef(namespace: ref.namespace, name: $0) }
    }

    /// Endpoint is one entry of `endpoints`.
    public struct Endpoint: Sendable, Hashable {
        public var address: IPAddress
        /// Any further addresses (rare: the API allows up to 100).
        public var additionalAddresses: [IPAddress]
        /// `conditions.ready`; the API says an unset value is to be read as ready.
        public var ready: Bool
        /// `conditions.serving`: ready, whether or not terminating; unset reads as `ready`.
        public var serving: Bool
        public var terminating: Bool
        public var nodeName: String?
        fileprivate var podNamespace: String?
        /// The pod's name, as a part of one string holding the names of
        /// all the slice's pods once the slice is compacted (see `compacted`):
        /// one allocation per slice rather than one per endpoint.
        fileprivate var podName: Substring?

        /// `targetRef` when its kind is Pod.
        public var pod: KubeObjectRef? {
            get { podName.map { KubeObjectRef(namespace: podNamespace ?? "", name: String($0)) } }
            set {
                podNamespace = newValue?.namespace
                podName = newValue.map { Substring($0.name) }
            }
        }

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

    /// compacted is this slice with the names of its endpoints' pods held in
    /// one string, and the namespaces and node names passed through
    /// `intern` (which returns the one copy kept of a string).
    func compacted(intern: (String) -> String) -> EndpointSliceObject {
        var copy = self
        var names = ""
        names.reserveCapacity(endpoints.reduce(0) { $0 + ($1.podName?.utf8.count ?? 0) })
        for endpoint in endpoints {
            if let name = endpoint.podName { names += name }
        }
        var start = names.startIndex
        for index in copy.endpoints.indices {
            if let namespace = copy.endpoints[index].podNamespace {
                copy.endpoints[index].podNamespace = intern(namespace)
            }
            if let node = copy.endpoints[index].nodeName { copy.endpoints[index].nodeName = intern(node) }
            guard let name = copy.endpoints[index].podName else { continue }
            let end = names.utf8.index(start, offsetBy: name.utf8.count)
            copy.endpoints[index].podName = names[start..<end]
            start = end
        }
        return copy
    }

    public init(
        ref: KubeObjectRef, resourceVersion: String? = nil, serviceName: String?, addressType: String? = nil,
        endpoints: [Endpoint] = [], ports: [Port] = []
    ) {
        self.ref = ref
        self.resourceVersion = resourceVersion
        self.serviceName = serviceName
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
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
        var endpoints: [Endpoint] = []
        if container.contains(.endpoints), try !container.decodeNil(forKey: .endpoints) {
            var list = try container.nestedUnkeyedContainer(forKey: .endpoints)
            if let count = list.count { endpoints.reserveCapacity(count) }
            while !list.isAtEnd {
                let raw = try list.decode(RawEndpoint.self)
                var addresses: [IPAddress] = []
                for text in raw.addresses ?? [] {
                    if let address = IPAddress(text), !addresses.contains(address) { addresses.append(address) }
                }
                guard let first = addresses.first else { continue }
                var pod: KubeObjectRef?
                if let target = raw.targetRef, target.kind == "Pod", let name = target.name {
                    pod = KubeMetadata(name: name, namespace: target.namespace ?? namespace, creationTimestamp: nil).ref
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
            addressType: try container.decodeIfPresent(String.self, forKey: .addressType), endpoints: endpoints,
            ports: ports.compactMap { port in
                KubeTransport.parse(port.protocol).map {
                    Port(name: port.name, port: kubePort(port.port), transport: $0)
                }
            })
    }
}
