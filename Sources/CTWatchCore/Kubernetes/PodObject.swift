import Conntrack

/// PodObject is the part of a Pod the cluster view keeps: who it is, where
/// it runs and which addresses it owns.
public struct PodObject: ClusterResource, KubeItem, Hashable {
    static let kind = "Pod"
    static let listKind = "PodList"

    public var ref: KubeObjectRef
    public var resourceVersion: String?
    /// RFC 3339 in UTC (`2025-11-25T17:31:40Z`), so string order is time order.
    public var creationTimestamp: String?
    public var nodeName: String?
    /// A host-network pod's address is the node's: it names no pod.
    public var hostNetwork: Bool
    /// `Running`, `Pending`, `Succeeded`, `Failed`, `Unknown`.
    public var phase: String?
    /// `status.podIP` and `status.podIPs`, each once.
    public var addresses: [IPAddress]

    public init(
        ref: KubeObjectRef, resourceVersion: String? = nil, creationTimestamp: String? = nil,
        nodeName: String? = nil, hostNetwork: Bool = false, phase: String? = nil, addresses: [IPAddress] = []
    ) {
        self.ref = ref
        self.resourceVersion = resourceVersion
        self.creationTimestamp = creationTimestamp
        self.nodeName = nodeName
        self.hostNetwork = hostNetwork
        self.phase = phase
        self.addresses = addresses
    }

    private enum Key: String, CodingKey { case metadata, spec, status }

    private struct Spec: Decodable {
        var nodeName: String?
        var hostNetwork: Bool?
    }

    private struct Status: Decodable {
        var phase: String?
        var podIP: String?
        var podIPs: [PodIP]?

        /// `podIP` and every `podIPs[].ip`, without empties. `podIP` is
        /// normally `podIPs[0]`; the caller drops repeats.
        var addresses: [String] {
            ([podIP] + (podIPs ?? []).map(\.ip)).compactMap { $0 }.filter { !$0.isEmpty }
        }
    }

    private struct PodIP: Decodable {
        var ip: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let metadata = try container.decode(ResourceMetadata.self, forKey: .metadata)
        let spec = try container.decodeIfPresent(Spec.self, forKey: .spec)
        let status = try container.decodeIfPresent(Status.self, forKey: .status)
        var addresses: [IPAddress] = []
        for text in status?.addresses ?? [] {
            if let address = IPAddress(text), !addresses.contains(address) { addresses.append(address) }
        }
        self.init(
            ref: metadata.ref, resourceVersion: metadata.resourceVersion,
            creationTimestamp: metadata.creationTimestamp, nodeName: spec?.nodeName,
            hostNetwork: spec?.hostNetwork ?? false, phase: status?.phase, addresses: addresses)
    }

    /// rank orders rival claims on one address (pod IPs are reused, and
    /// terminated pods keep their old IP in a listing): Running pods own their IP; pending or unknown pods may; finished pods
    /// only remember having had it.
    var rank: Int {
        switch phase {
        case "Running": 2
        case "Succeeded", "Failed": 0
        default: 1
        }
    }

    /// True when this pod's claim on an address beats `other`'s: higher
    /// rank, then created later.
    func beats(_ other: PodObject) -> Bool {
        (rank, creationTimestamp ?? "") > (other.rank, other.creationTimestamp ?? "")
    }
}
