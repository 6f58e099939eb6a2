import CTWatchCore
import FoundationEssentials
import KubernetesClient

/// ClusterSource gives a command what the cluster says about the addresses
/// it shows: nothing, kubectl files read once (`--pods`, `--services`,
/// `--endpoints`), or the Kubernetes API, watched live (`--kubernetes`). It
/// says on stderr what a user must know: the API's first answer not coming
/// in time, the API going away and coming back, a refused permission.
final class ClusterSource: Sendable {
    private enum Source {
        case none
        case files(ClusterView)
        case live(ClusterWatch, APIClient, Task<Void, Never>)
    }

    private let source: Source

    private init(_ source: Source) { self.source = source }

    /// Whether names come from anywhere.
    var isEmpty: Bool {
        if case .none = source { return true }
        return false
    }

    /// Opens the source `options` name, runs `body` with it, and closes it
    /// whether `body` returned or threw.
    static func with<T>(_ options: KubernetesOptions, _ body: (ClusterSource) async throws -> T) async throws -> T {
        let source = try open(options)
        do {
            let result = try await body(source)
            await source.close()
            return result
        } catch {
            await source.close()
            throw error
        }
    }

    /// Reads the files, or connects to the API and starts watching (see `waitForSync`).
    static func open(_ options: KubernetesOptions) throws -> ClusterSource {
        if options.live { return try live(options) }
        guard options.pods != nil || options.services != nil || options.endpoints != nil else {
            return ClusterSource(.none)
        }
        var state = ClusterState()
        if let path = options.pods { try state.loadPods(json: DocumentFile.read(path, subject: "pods"), path: path) }
        if let path = options.services {
            try state.loadServices(json: DocumentFile.read(path, subject: "services"), path: path)
        }
        if let path = options.endpoints {
            try state.loadEndpointSlices(json: DocumentFile.read(path, subject: "endpointslices"), path: path)
        }
        return ClusterSource(.files(state.view()))
    }

    private static func live(_ options: KubernetesOptions) throws -> ClusterSource {
        let environment = ProcessInfo.processInfo.environment
        let connection = try ClusterConnection.resolve(
            kubeconfig: options.kubeconfig, context: options.context, environment: environment,
            homeDirectory: environment["HOME"] ?? Syscalls.homeDirectory())
        for warning in connection.warnings { Diagnostics.line(warning) }
        let client = try APIClient(connection: connection)
        let watch = ClusterWatch(client: client, node: options.nodeName)
        let task = Task {
            await watch.run { notice in Diagnostics.line(ClusterSource.describe(notice, watch: watch)) }
        }
        return ClusterSource(.live(watch, client, task))
    }

    private static func describe(_ notice: ClusterWatch.Notice, watch: ClusterWatch) -> String {
        switch notice {
        case .synced:
            let view = watch.view()
            return "Kubernetes API synced: \(view.podCount) pods on node \(watch.node), \(view.serviceCount) Services, "
                + "\(view.endpointSliceCount) EndpointSlices"
        case .unavailable(let error):
            return "the Kubernetes API is unavailable (\(error)); going on with what it said last, retrying"
        case .available:
            return "the Kubernetes API answers again"
        case .refused(let error):
            return error.description
        }
    }

    /// The cluster as known now (empty when there is no source).
    func view() -> ClusterView {
        switch source {
        case .none: ClusterView()
        case .files(let view): view
        case .live(let watch, _, _): watch.view()
        }
    }

    /// What the metrics tell of the API, per resource watched: whether it was
    /// listed, and how often its watch was made again. Nil without `--kubernetes`.
    func apiStatus() -> (synced: Set<String>, watchRestarts: [String: Int])? {
        guard case .live(let watch, _, _) = source else { return nil }
        var restarts: [String: Int] = [:]
        for (kind, count) in watch.watchRestarts { restarts[kind.resource] = count }
        return (Set(watch.syncedKinds.map(\.resource)), restarts)
    }

    /// Whether the API's first complete answer is in (true without `--kubernetes`).
    var isSynced: Bool {
        guard case .live(let watch, _, _) = source else { return true }
        return watch.isSynced
    }

    /// Follower takes a source's newer views for a long-running loop, once the
    /// API has answered whole at most one a second: on a big cluster endpoints
    /// change all the time, and each view is a pass over all of them. Until
    /// then every newer view is taken at once (the first names matter).
    struct Follower {
        static let interval = Duration.seconds(1)
        private var generation = -1
        /// When a complete view was last taken.
        private var taken: ContinuousClock.Instant?

        /// The view when it changed since the last one taken (the first call: the view now); nil when not,
        /// or when the last was taken less than `interval` ago.
        mutating func newer(from source: ClusterSource) -> ClusterView? {
            let now = ContinuousClock.now
            if let taken, now - taken < Self.interval { return nil }
            switch source.source {
            case .none:
                return nil
            case .files(let view):
                guard generation != 0 else { return nil }
                generation = 0
                taken = now
                return view
            case .live(let watch, _, _):
                let current = watch.generation
                guard current != generation else { return nil }
                generation = current
                if watch.isSynced { taken = now }
                return watch.view()
            }
        }
    }

    /// For a one-shot command: waits for the API's first complete answer, at
    /// most `timeout` seconds; if it does not come, says so once and goes on.
    func waitForSync(timeout: Double) async {
        guard case .live(let watch, _, _) = source else { return }
        if await watch.waitForSync(timeout: .milliseconds(Int(timeout * 1000))) { return }
        let missing = Set(ClusterKind.allCases).subtracting(watch.syncedKinds).map(\.resource).sorted()
        Diagnostics.line(
            "the Kubernetes API gave no complete answer in \(StuckScan.formatSeconds(timeout)) s (no "
                + missing.joined(separator: ", ") + " yet): going on without those names")
    }

    /// Stops watching and closes the connections.
    func close() async {
        guard case .live(_, let client, let task) = source else { return }
        task.cancel()
        await task.value
        await client.shutdown()
    }
}
