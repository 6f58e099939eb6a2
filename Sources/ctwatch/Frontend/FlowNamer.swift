import CTWatchCore
import Conntrack

/// FlowNamer names the pods and the Service of the flows `events` and `list`
/// write, from the latest view of the cluster (nothing when there is no source:
/// then it costs nothing per line).
struct FlowNamer {
    private let source: ClusterSource
    /// The node namespace's own addresses: NodePorts are served on them too.
    private let nodeAddresses: [IPAddress]
    private var follower = ClusterSource.Follower()
    private var view: ClusterView?

    init(_ source: ClusterSource, conntrack: Conntrack) throws {
        self.source = source
        nodeAddresses = source.isEmpty ? [] : try conntrack.interfaces().flatMap { $0.addresses.map(\.address) }
        refresh()
    }

    /// Takes the cluster's newer view, if there is one.
    mutating func refresh() {
        if let newer = follower.newer(from: source) { view = newer.addingNodeAddresses(nodeAddresses) }
    }

    /// The names known for `flow`; nil when none.
    func attribution(of flow: Flow) -> Attribution? {
        guard let view else { return nil }
        let attribution = view.attribution(of: flow)
        return attribution.isEmpty ? nil : attribution
    }
}
