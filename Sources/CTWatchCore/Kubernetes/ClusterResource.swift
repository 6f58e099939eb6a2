import Conntrack

/// ClusterResource is an object kind the cluster view keeps: decoded from
/// the API's JSON straight into compact values (addresses, ports, a few
/// short strings), so that what is held for a large cluster stays small.
public protocol ClusterResource: Decodable, Sendable {
    /// The object's `metadata.resourceVersion`: an opaque string, never parsed.
    var resourceVersion: String? { get }
}

/// ResourceMetadata is the part of `metadata` the cluster objects use.
struct ResourceMetadata: Decodable {
    var name: String
    var namespace: String?
    var resourceVersion: String?
    var creationTimestamp: String?
    var labels: [String: String]?

    /// The object's reference, as `KubeObjectRef(apiNamespace:name:)` makes
    /// it: a missing namespace is `default`, over-long names are cut.
    var ref: KubeObjectRef {
        KubeObjectRef(apiNamespace: namespace, name: name)
            ?? KubeObjectRef(namespace: namespace ?? "default", name: name)
    }
}

/// KubeTransport reads a Kubernetes `protocol` (`TCP`, `UDP`, `SCTP`, any
/// case; omitted means TCP, as the API defaults it).
enum KubeTransport {
    static func parse(_ text: String?) -> TransportProtocol? {
        switch text?.uppercased() {
        case nil, "TCP": .tcp
        case "UDP": .udp
        case "SCTP": .sctp
        default: nil
        }
    }
}

/// A port number from the API as a `UInt16`; nil for 0 and out-of-range values.
func kubePort(_ value: Int?) -> UInt16? {
    guard let value, let port = UInt16(exactly: value), port != 0 else { return nil }
    return port
}
