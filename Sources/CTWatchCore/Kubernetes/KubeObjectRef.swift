/// KubeObjectRef names a namespaced Kubernetes object, printed `namespace/name`
/// (`shop/cart-5d6f7b8c9-k4m2n`), the form kubectl accepts back.
public struct KubeObjectRef: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let namespace: String
    public let name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// init(apiNamespace:name:) is the reference of an object as the API
    /// names it; nil without a name. A missing namespace is `default`, as
    /// the API itself assumes. Names longer than the API allows (253 bytes,
    /// namespaces 63) are cut there, so no file can push a JSON line past
    /// what log shippers take.
    init?(apiNamespace namespace: String?, name: String?) {
        guard let name, !name.isEmpty else { return nil }
        let namespace = namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        self.init(namespace: Self.capped(namespace, 63), name: Self.capped(name, 253))
    }

    /// The longest prefix of `text` of at most `bytes` UTF-8 bytes that ends on a character.
    private static func capped(_ text: String, _ bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        for character in text {
            if result.utf8.count + character.utf8.count > bytes { break }
            result.append(character)
        }
        return result
    }

    /// description is `namespace/name`.
    public var description: String { "\(namespace)/\(name)" }

    /// Orders by namespace, then name, as `kubectl get -A` lists objects.
    public static func < (lhs: KubeObjectRef, rhs: KubeObjectRef) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}
