import Conntrack

/// ServiceObject is the part of a Service the cluster view keeps: the
/// addresses and ports a client reaches it on.
public struct ServiceObject: ClusterResource, KubeItem, Hashable {
    static let kind = "Service"
    static let listKind = "ServiceList"

    public var ref: KubeObjectRef
    public var resourceVersion: String?
    /// `ClusterIP` (also when omitted), `NodePort`, `LoadBalancer`, `ExternalName`.
    public var type: String
    /// `spec.clusterIP` and `spec.clusterIPs` of all families; none for a
    /// headless (`None`) or ExternalName Service.
    public var clusterIPs: [IPAddress]
    public var externalIPs: [IPAddress]
    /// `status.loadBalancer.ingress[].ip` (ingress entries with only a hostname are left out).
    public var loadBalancerIPs: [IPAddress]
    public var ports: [ServicePort]

    /// ServicePort is one entry of `spec.ports`.
    public struct ServicePort: Sendable, Hashable {
        public var name: String?
        public var port: UInt16
        public var transport: TransportProtocol
        /// Set for NodePort and LoadBalancer Services (unless node ports are turned off).
        public var nodePort: UInt16?

        public init(name: String? = nil, port: UInt16, transport: TransportProtocol = .tcp, nodePort: UInt16? = nil) {
            self.name = name
            self.port = port
            self.transport = transport
            self.nodePort = nodePort
        }
    }

    public init(
        ref: KubeObjectRef, resourceVersion: String? = nil, type: String = "ClusterIP",
        clusterIPs: [IPAddress] = [], externalIPs: [IPAddress] = [], loadBalancerIPs: [IPAddress] = [],
        ports: [ServicePort] = []
    ) {
        self.ref = ref
        self.resourceVersion = resourceVersion
        self.type = type
        self.clusterIPs = clusterIPs
        self.externalIPs = externalIPs
        self.loadBalancerIPs = loadBalancerIPs
        self.ports = ports
    }

    private enum Key: String, CodingKey { case metadata, spec, status }

    private struct Spec: Decodable {
        var type: String?
        var clusterIP: String?
        var clusterIPs: [String]?
        var externalIPs: [String]?
        var ports: [Port]?
    }

    private struct Port: Decodable {
        var name: String?
        var port: Int?
        var `protocol`: String?
        var nodePort: Int?
    }

    private struct Status: Decodable {
        var loadBalancer: LoadBalancer?
    }

    private struct LoadBalancer: Decodable {
        var ingress: [Ingress]?
    }

    private struct Ingress: Decodable {
        var ip: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let metadata = try container.decode(ResourceMetadata.self, forKey: .metadata)
        let spec = try container.decodeIfPresent(Spec.self, forKey: .spec)
        let status = try container.decodeIfPresent(Status.self, forKey: .status)
        let type = spec?.type ?? "ClusterIP"
        let external = type == "ExternalName"
        let ports = (spec?.ports ?? []).compactMap { port -> ServicePort? in
            guard let number = kubePort(port.port), let transport = KubeTransport.parse(port.protocol) else {
                return nil
            }
            return ServicePort(name: port.name, port: number, transport: transport, nodePort: kubePort(port.nodePort))
        }
        self.init(
            ref: metadata.ref, resourceVersion: metadata.resourceVersion, type: type,
            clusterIPs: external ? [] : Self.addresses([spec?.clusterIP] + (spec?.clusterIPs ?? [])),
            externalIPs: Self.addresses(spec?.externalIPs ?? []),
            loadBalancerIPs: Self.addresses((status?.loadBalancer?.ingress ?? []).map(\.ip)),
            ports: ports)
    }

    /// The addresses among `texts`, each once; `None`, empties and other text are skipped.
    private static func addresses(_ texts: [String?]) -> [IPAddress] {
        var out: [IPAddress] = []
        for case let text? in texts {
            if let address = IPAddress(text), !out.contains(address) { out.append(address) }
        }
        return out
    }
}
