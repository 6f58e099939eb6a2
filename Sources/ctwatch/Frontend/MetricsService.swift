import CTWatchCore
import CTWatchMetrics
import Conntrack
import KubernetesClient
import NIOPosix
import Synchronization

/// MetricsService is `--metrics-address`: the metrics a long-running command
/// keeps, and the HTTP server that shows them.
///
/// - `/metrics`: reads the table's statistics, the bridges and the API's
///   state just before answering, in the server's task, through a conntrack
///   handle of its own: a scrape never waits for the event loop, nor the
///   event loop for a scrape.
/// - `/readyz`: 200 once the command has read the table (its first dump, or
///   its subscription for `events`) and, with `--kubernetes`, the API's first
///   complete answer is in; 503 with the reason until then.
/// - `/healthz`: 200 while events are being read; 503 once no batch (events
///   or the receiver's idle heartbeat, 5 a second) has been read for
///   `stallSeconds`, or none at all `startSeconds` after the start (a first
///   dump or a first sync that hangs): the process is alive but stuck, and a
///   restart helps.
final class MetricsService: Sendable {
    static let stallSeconds = 60.0
    static let startSeconds = 300.0

    let metrics = AgentMetrics(version: CTWatch.configuration.version)
    private let server: MetricsServer
    private let conntrack: Conntrack
    private let cluster: ClusterSource
    private let state = Mutex(State())
    /// One scrape at a time reads through `conntrack` (one netlink socket).
    private let reading = Mutex(())

    private struct State {
        var tableRead = false
        let started = MonotonicClock.seconds()
        /// MonotonicClock seconds of the last batch read; nil before the first.
        var lastBatch: Double?
        /// The event subscription, whose drop count a scrape reads.
        var subscription: EventSubscription?
    }

    /// MetricsStopped is the server ending while the command still runs.
    struct MetricsStopped: Error, CustomStringConvertible {
        var description: String { "the metrics server stopped serving while the watch went on" }
    }

    private init(server: MetricsServer, conntrack: Conntrack, cluster: ClusterSource) {
        self.server = server
        self.conntrack = conntrack
        self.cluster = cluster
    }

    /// Listens on `address`; nil without one. Fails with one line when the
    /// address cannot be listened on or the namespace cannot be opened.
    static func start(
        _ address: MetricsAddress?, namespace: NetworkNamespace, cluster: ClusterSource
    ) async throws -> MetricsService? {
        guard let address else { return nil }
        let conntrack = try Conntrack(namespace: namespace)
        do {
            let server = try await MetricsServer.bind(host: address.host, port: address.port)
            return MetricsService(server: server, conntrack: conntrack, cluster: cluster)
        } catch {
            conntrack.close()
            throw error
        }
    }

    /// Serves until the task is cancelled (a shutdown: not an error). A
    /// server that stops on its own is an error: the command must not go
    /// on without the metrics it was asked for, nor end as if all were well.
    func run() async throws {
        defer { conntrack.close() }
        do {
            try await server.run { [self] request in await answer(request) }
        } catch  where Task.isCancelled {
            return
        }
        if !Task.isCancelled { throw MetricsStopped() }
    }

    /// The event subscription is open: its buffer and its drop count are shown.
    func subscribed(_ subscription: EventSubscription) {
        metrics.subscribed(receiveBufferSize: subscription.grantedBufferSize)
        state.withLock { $0.subscription = subscription }
    }

    /// The table has been read: the first dump, or the subscription made.
    func tableRead() {
        state.withLock { $0.tableRead = true }
    }

    /// A batch was read (events, a loss, or an idle heartbeat).
    func batchRead(_ batch: [EventStreamElement]) {
        if !batch.isEmpty { metrics.record(batch) }
        let now = MonotonicClock.seconds()
        state.withLock { $0.lastBatch = now }
    }

    private func answer(_ request: MetricsServer.Request) async -> MetricsServer.Response {
        switch request.path {
        case "/metrics":
            await observe()
            return MetricsServer.Response(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
        case "/healthz":
            let (last, started) = state.withLock { ($0.lastBatch, $0.started) }
            let now = MonotonicClock.seconds()
            if let last, now - last > Self.stallSeconds {
                return MetricsServer.Response(
                    status: 503,
                    text: "stalled: no conntrack events or heartbeat read for more than \(Int(Self.stallSeconds)) s\n")
            }
            if last == nil, now - started > Self.startSeconds {
                return MetricsServer.Response(
                    status: 503, text: "stalled: nothing read in the \(Int(Self.startSeconds)) s since the start\n")
            }
            return MetricsServer.Response(status: 200, text: "ok\n")
        case "/readyz":
            var waiting: [String] = []
            if !state.withLock({ $0.tableRead }) { waiting.append("the first read of the conntrack table") }
            if !cluster.isSynced { waiting.append("the Kubernetes API's first complete answer") }
            if waiting.isEmpty { return MetricsServer.Response(status: 200, text: "ready\n") }
            return MetricsServer.Response(
                status: 503, text: "not ready: waiting for \(waiting.joined(separator: " and "))\n")
        default:
            return MetricsServer.Response(status: 404, text: "not found: /metrics, /healthz and /readyz are served\n")
        }
    }

    /// Sets what is read rather than counted. A read that fails leaves the
    /// last values (the scrape still answers). The reads block (netlink,
    /// /proc): they run on NIO's thread pool, one scrape's at a time, never
    /// on the threads the watch's tasks share.
    private func observe() async {
        try? await NIOThreadPool.singleton.runIfActive { [self] in reading.withLock { _ in read() } }
    }

    private func read() {
        if let dropped = state.withLock({ $0.subscription })?.droppedMessages {
            metrics.observeDroppedMessages(dropped)
        }
        if let table = try? conntrack.statistics() { metrics.observe(table) }
        if let bridges = try? StuckScan.bridgeNetfilter(of: conntrack) { metrics.observe(bridges) }
        if let api = cluster.apiStatus() {
            metrics.observeKubernetes(
                synced: api.synced, watchRestarts: api.watchRestarts, resources: ClusterKind.allCases.map(\.resource))
        }
    }
}
