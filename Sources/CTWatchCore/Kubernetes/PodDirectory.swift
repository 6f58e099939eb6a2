import Conntrack
import Foundation

/// PodDirectory maps pod IPs to pods, read from `kubectl get pods -A -o json`.
///
/// Every address in `status.podIP` and `status.podIPs` is mapped, so a
/// dual-stack pod is found by its IPv4 and its IPv6 address. Left out:
/// pods with `spec.hostNetwork: true` (their IP is the node's, shared by
/// every host-network pod and the node itself) and pods without an IP yet
/// (Pending).
///
/// Pod IPs are reused, and terminated pods keep their old IP in the
/// listing, so several pods can claim one address. The claim that wins is
/// the one from a `Running` pod, then from any pod not `Succeeded` or
/// `Failed` (Pending, Unknown), then from a finished one; within the same
/// rank the most recently created pod wins, then the one listed first.
public struct PodDirectory: Sendable {
    private let pods: [IPAddress: Claim]

    /// count is the number of pods that own at least one address here.
    public let count: Int

    /// addressCount is the number of mapped addresses (two per dual-stack pod).
    public var addressCount: Int { pods.count }

    /// An empty directory, for when no pods file is given.
    public init() {
        pods = [:]
        count = 0
    }

    /// init(json:) reads a `List` or `PodList` of pods, or a single `Pod`.
    /// Objects of other kinds inside a List are ignored.
    public init(json: Data) throws(KubeDocumentError) {
        let items = try KubeDocument.items(PodItem.self, from: json, subject: "pods")
        var claims: [IPAddress: Claim] = [:]
        // Sized once: growing a table of every pod address copies it each time.
        claims.reserveCapacity(items.reduce(0) { $0 + ($1.status?.addressCountEstimate ?? 0) })
        for item in items {
            guard item.spec?.hostNetwork != true, let ref = item.metadata?.ref else { continue }
            let claim = Claim(
                ref: ref, rank: PodDirectory.rank(phase: item.status?.phase),
                created: item.metadata?.creationTimestamp ?? "")
            for text in item.status?.addresses ?? [] {
                guard let address = IPAddress(text) else { continue }
                if let current = claims[address], !claim.beats(current) { continue }
                claims[address] = claim
            }
        }
        pods = claims
        var owners = Set<KubeObjectRef>()
        for claim in claims.values { owners.insert(claim.ref) }
        count = owners.count
    }

    /// init(json:path:) reads `json` as `init(json:)` does; its errors name
    /// the file it came from, `path` (`-` for standard input).
    public init(json: Data, path: String) throws(KubeDocumentError) {
        do throws(KubeDocumentError) {
            try self.init(json: json)
        } catch {
            throw error.from(path: path)
        }
    }

    /// pod returns the pod that owns `ip`, or nil if no (non-host-network) pod has it.
    public func pod(for ip: IPAddress) -> KubeObjectRef? {
        pods[ip]?.ref
    }

    /// A pod's claim on an address, with what decides between rival claims.
    private struct Claim: Sendable {
        let ref: KubeObjectRef
        let rank: Int
        let created: String

        func beats(_ other: Claim) -> Bool {
            (rank, created) > (other.rank, other.created)
        }
    }

    /// Running pods own their IP; pending or unknown pods may; finished
    /// pods only remember having had it.
    private static func rank(phase: String?) -> Int {
        switch phase {
        case "Running": 2
        case "Succeeded", "Failed": 0
        default: 1
        }
    }
}

/// PodItem is the part of a Pod that `PodDirectory` reads.
struct PodItem: KubeItem {
    static let kind = "Pod"
    static let listKind = "PodList"

    var metadata: KubeMetadata?
    var spec: Spec?
    var status: Status?

    struct Spec: Decodable {
        var hostNetwork: Bool?
    }

    struct Status: Decodable {
        var phase: String?
        var podIP: String?
        var podIPs: [PodIP]?

        /// `podIP` and every `podIPs[].ip`, without empties. `podIP` is
        /// normally `podIPs[0]`; a repeat is harmless to the caller.
        var addresses: [String] {
            ([podIP] + (podIPs ?? []).map(\.ip)).compactMap { $0 }.filter { !$0.isEmpty }
        }

        /// About how many distinct addresses `addresses` holds: `podIP` is
        /// normally `podIPs[0]`, so it is not counted twice.
        var addressCountEstimate: Int {
            max(podIPs?.count ?? 0, podIP == nil ? 0 : 1)
        }
    }

    struct PodIP: Decodable {
        var ip: String?
    }
}
