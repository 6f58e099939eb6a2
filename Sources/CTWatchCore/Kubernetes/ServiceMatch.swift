/// ServiceMatch says which Service a destination address and port reach,
/// and how: the address is one of its cluster IPs, external IPs or
/// load-balancer IPs with one of its ports, or one of the node's own
/// addresses with one of its node ports.
public struct ServiceMatch: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case clusterIP, externalIP, loadBalancerIP, nodePort
    }

    public let service: KubeObjectRef
    public let kind: Kind
    /// The Service port matched (for `nodePort`, the one whose `nodePort` matched).
    public let port: ServiceObject.ServicePort

    public init(service: KubeObjectRef, kind: Kind, port: ServiceObject.ServicePort) {
        self.service = service
        self.kind = kind
        self.port = port
    }
}
