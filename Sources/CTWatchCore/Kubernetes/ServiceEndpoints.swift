import Conntrack

/// ServiceEndpoints are the endpoints a Service has now that take traffic:
/// ready, or serving while terminating. Empty when its EndpointSlices hold
/// none (a Service with no backends), which is not the same as having no
/// slices at all (then `ClusterView.endpoints(of:)` is nil: unknown).
public struct ServiceEndpoints: Sendable, Hashable {
    public let service: KubeObjectRef
    /// Ordered by address, each address once.
    public let endpoints: [Endpoint]

    /// Endpoint is one address of a ready or serving endpoint.
    public struct Endpoint: Sendable, Hashable {
        public let address: IPAddress
        public let pod: KubeObjectRef?
        public let nodeName: String?
        public let ready: Bool
        public let serving: Bool
        public let terminating: Bool

        public init(
            address: IPAddress, pod: KubeObjectRef?, nodeName: String?, ready: Bool, serving: Bool, terminating: Bool
        ) {
            self.address = address
            self.pod = pod
            self.nodeName = nodeName
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
        }
    }

    public init(service: KubeObjectRef, endpoints: [Endpoint]) {
        self.service = service
        self.endpoints = endpoints
    }

    /// The endpoint addresses, ordered.
    public var addresses: [IPAddress] { endpoints.map(\.address) }

    /// True when `address` is one of the endpoints.
    public func contains(_ address: IPAddress) -> Bool {
        endpoints.contains { $0.address == address }
    }
}
