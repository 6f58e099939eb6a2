/// KubeObjectRef names a namespaced Kubernetes object.
public struct KubeObjectRef: Hashable, Sendable, Codable, CustomStringConvertible {
    public let namespace: String
    public let name: String
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
    public var description: String { "\(namespace)/\(name)" }
}
