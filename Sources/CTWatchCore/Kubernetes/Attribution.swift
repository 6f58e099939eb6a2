/// Attribution names the Kubernetes objects behind a flow's addresses.
public struct Attribution: Sendable, Hashable {
    public var sourcePod: KubeObjectRef?
    public var backendPod: KubeObjectRef?
    public var service: KubeObjectRef?
    public init(sourcePod: KubeObjectRef? = nil, backendPod: KubeObjectRef? = nil, service: KubeObjectRef? = nil) {
        self.sourcePod = sourcePod
        self.backendPod = backendPod
        self.service = service
    }
}
