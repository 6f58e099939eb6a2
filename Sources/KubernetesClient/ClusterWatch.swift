import CTWatchCore
import FoundationEssentials
import Synchronization

/// ClusterWatch keeps a live `ClusterView` of the cluster as one node sees it:
/// the node's own pods (a field selector on `spec.nodeName`), the Services and
/// EndpointSlices of all namespaces, and the Node. Each is listed, then watched
/// (see `Reflector`). Backends on other nodes are named from the EndpointSlices'
/// targets, so no agent holds every pod of the cluster.
///
/// `run` works until its task is cancelled, telling what happens as `Notice`s;
/// `view()` is safe to call from any task at any time.
public final class ClusterWatch: Sendable {
    /// Notice is what the owner may want to tell the user.
    public enum Notice: Sendable {
        /// Every kind was listed once: names are complete from now on.
        case synced
        /// A request failed and others may follow: said once per outage.
        case unavailable(APIError)
        /// The API answers again after `unavailable`.
        case available
        /// The credentials or the permission were refused: said once per resource until it succeeds.
        case refused(APIError)
    }

    /// The node whose pods are watched.
    public let node: String
    private let client: APIClient
    private let shared = Mutex(Shared())
    private let watchTimeouts: ClosedRange<Int>
    private let watchGrace: Duration

    private struct Shared {
        var state = ClusterState()
        /// Lists in progress, by kind: swapped into `state` when complete.
        var listing: [ClusterKind: ClusterState] = [:]
        var synced = Set<ClusterKind>()
        var view = ClusterView()
        var viewIsCurrent = true
        var generation = 0
        var outage = false
        var refused = Set<ClusterKind>()
        var watchRestarts: [ClusterKind: Int] = [:]
    }

    /// `watchTimeouts` is the range each watch's `timeoutSeconds` is drawn
    /// from; a watch the server has neither ended nor fed `watchGrace` after
    /// its timeout is taken for broken.
    public init(
        client: APIClient, node: String, watchTimeouts: ClosedRange<Int> = 300...600,
        watchGrace: Duration = .seconds(30)
    ) {
        self.client = client
        self.node = node
        self.watchTimeouts = watchTimeouts
        self.watchGrace = watchGrace
    }

    /// Whether every kind has been listed once.
    public var isSynced: Bool { shared.withLock { $0.synced.count == ClusterKind.allCases.count } }

    /// The kinds listed at least once.
    public var syncedKinds: Set<ClusterKind> { shared.withLock { $0.synced } }

    /// How often each kind's watch was made again after the first (after it
    /// ended, broke off or failed, or after a relist).
    public var watchRestarts: [ClusterKind: Int] { shared.withLock { $0.watchRestarts } }

    /// A number that grows with every change to what is known.
    public var generation: Int { shared.withLock { $0.generation } }

    /// The current view: rebuilt after changes, at most once per call.
    public func view() -> ClusterView {
        let (state, cached) = shared.withLock { shared -> (ClusterState?, ClusterView) in
            shared.viewIsCurrent ? (nil, shared.view) : (shared.state, shared.view)
        }
        guard let state else { return cached }
        // Built outside the lock: the watch goes on meanwhile.
        let view = state.view()
        shared.withLock {
            $0.view = view
            $0.viewIsCurrent = true
        }
        return view
    }

    /// Waits until every kind was listed once, or `timeout` passes; whether it was.
    public func waitForSync(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isSynced {
            if ContinuousClock.now >= deadline || Task.isCancelled { return isSynced }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Lists and watches every kind until the task is cancelled.
    public func run(notices: @escaping @Sendable (Notice) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.follow(
                    PodObject.self, .pod, path: "/api/v1/pods", [("fieldSelector", "spec.nodeName=\(self.node)")],
                    notices: notices, wrap: ClusterObject.pod)
            }
            group.addTask {
                await self.follow(
                    ServiceObject.self, .service, path: "/api/v1/services", notices: notices,
                    wrap: ClusterObject.service)
            }
            group.addTask {
                await self.follow(
                    EndpointSliceObject.self, .endpointSlice, path: "/apis/discovery.k8s.io/v1/endpointslices",
                    notices: notices, wrap: ClusterObject.endpointSlice)
            }
            group.addTask {
                await self.follow(
                    NodeObject.self, .node, path: "/api/v1/nodes", [("fieldSelector", "metadata.name=\(self.node)")],
                    notices: notices, wrap: ClusterObject.node)
            }
        }
    }

    /// Runs one kind's reflector, its updates applied to the state as ClusterObjects.
    private func follow<Object: ClusterResource>(
        _ type: Object.Type, _ kind: ClusterKind, path: String, _ selector: [(String, String)] = [],
        notices: @escaping @Sendable (Notice) -> Void, wrap: @escaping @Sendable (Object) -> ClusterObject
    ) async {
        var reflector = Reflector<Object>(resource: kind.resource, path: path, selector: selector)
        reflector.watchTimeouts = watchTimeouts
        reflector.watchGrace = watchGrace
        await reflector.run(client) { update in
            let change: Change =
                switch update {
                case .listStarted: .listStarted
                case .listing(let objects): .listing(objects.map(wrap))
                case .listed: .listed
                case .added(let object), .modified(let object): .upsert(wrap(object))
                case .deleted(let object): .delete(wrap(object))
                case .failed(let error, _): .failed(error)
                case .recovered: .recovered
                case .watchRestarted: .watchRestarted
                }
            self.handle(change, kind: kind, notices: notices)
        }
    }

    /// A reflector's update, of any kind.
    private enum Change {
        case listStarted
        case listing([ClusterObject])
        case listed
        case upsert(ClusterObject)
        case delete(ClusterObject)
        case failed(APIError)
        case recovered
        case watchRestarted
    }

    private func handle(_ update: Change, kind: ClusterKind, notices: (Notice) -> Void) {
        var said: [Notice] = []
        shared.withLock { shared in
            switch update {
            case .listStarted:
                shared.listing[kind] = ClusterState()
            case .listing(let objects):
                for object in objects { shared.listing[kind]?.apply(.upsert(object)) }
            case .listed:
                shared.state.replace(kind, from: shared.listing.removeValue(forKey: kind) ?? ClusterState())
                shared.viewIsCurrent = false
                shared.generation += 1
                let wasSynced = shared.synced.count == ClusterKind.allCases.count
                shared.synced.insert(kind)
                shared.refused.remove(kind)
                if !wasSynced && shared.synced.count == ClusterKind.allCases.count { said.append(.synced) }
            case .upsert(let object):
                shared.state.apply(.upsert(object))
                shared.viewIsCurrent = false
                shared.generation += 1
            case .delete(let object):
                shared.state.apply(.delete(object))
                shared.viewIsCurrent = false
                shared.generation += 1
            case .failed(let error):
                shared.listing[kind] = nil  // a list cut short is not used
                if error.isRefused {
                    if shared.refused.insert(kind).inserted { said.append(.refused(error)) }
                } else if !shared.outage {
                    shared.outage = true
                    said.append(.unavailable(error))
                }
            case .watchRestarted:
                shared.watchRestarts[kind, default: 0] += 1
            case .recovered:
                shared.refused.remove(kind)
                if shared.outage {
                    shared.outage = false
                    said.append(.available)
                }
            }
        }
        for notice in said { notices(notice) }
    }
}

extension ClusterKind {
    /// The resource's plural name, as RBAC and kubectl know it.
    public var resource: String {
        switch self {
        case .pod: "pods"
        case .service: "services"
        case .endpointSlice: "endpointslices"
        case .node: "nodes"
        }
    }
}
