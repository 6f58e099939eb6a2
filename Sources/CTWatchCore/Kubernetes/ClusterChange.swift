/// ClusterKind is a kind of object the cluster view keeps.
public enum ClusterKind: String, Sendable, Hashable, CaseIterable {
    case pod = "Pod"
    case service = "Service"
    case endpointSlice = "EndpointSlice"
    case node = "Node"
}

/// ClusterObject is one object of any kept kind.
public enum ClusterObject: Sendable, Hashable {
    case pod(PodObject)
    case service(ServiceObject)
    case endpointSlice(EndpointSliceObject)
    case node(NodeObject)

    public var kind: ClusterKind {
        switch self {
        case .pod: .pod
        case .service: .service
        case .endpointSlice: .endpointSlice
        case .node: .node
        }
    }

    public var resourceVersion: String? {
        switch self {
        case .pod(let object): object.resourceVersion
        case .service(let object): object.resourceVersion
        case .endpointSlice(let object): object.resourceVersion
        case .node(let object): object.resourceVersion
        }
    }
}

/// ClusterChange is what a watch event or a relist does to `ClusterState`.
public enum ClusterChange: Sendable, Hashable {
    /// An object added (ADDED) or changed (MODIFIED): it replaces any held
    /// object of its kind, namespace and name.
    case upsert(ClusterObject)
    /// An object deleted (DELETED): the held object of its kind, namespace
    /// and name goes.
    case delete(ClusterObject)
    /// After a list or relist: every held object of the kind is replaced by
    /// these (objects of another kind in the array are ignored).
    case replaceAll(ClusterKind, [ClusterObject])
}
