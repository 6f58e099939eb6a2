/// KubeObjectRef names a namespaced Kubernetes object, printed `namespace/name`
/// (`shop/cart-5d6f7b8c9-k4m2n`), the form kubectl accepts back.
public struct KubeObjectRef: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let namespace: String
    public let name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// description is `namespace/name`.
    public var description: String { "\(namespace)/\(name)" }

    /// Orders by namespace, then name, as `kubectl get -A` lists objects.
    public static func < (lhs: KubeObjectRef, rhs: KubeObjectRef) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}
