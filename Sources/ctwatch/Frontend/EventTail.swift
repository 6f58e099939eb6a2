import CTWatchCore
import Conntrack

/// EventTail is `ctwatch events`: a live tail of conntrack events, as text or
/// JSON lines, until a count, a duration, a shutdown signal (the task is
/// cancelled, see LongRunning), or the reader going away. Every way out writes
/// the complete lines held.
enum EventTail {
    struct Options: Sendable {
        var namespace: NetworkNamespace = .current
        var subscription = EventSubscription.Options()
        var format: OutputFormat = .text
        /// Exit after this many events written.
        var count: Int?
        /// Exit after this many seconds.
        var duration: Double?
        var verbose = false
        /// Names pods and Services on each line, when it has a source.
        var cluster: ClusterSource?
        /// Counts what is read, for `--metrics-address`.
        var metrics: MetricsService?
    }

    struct Summary: Sendable {
        var eventsWritten = 0
        var overruns = 0
    }

    static func run(_ options: Options, sink: LineSink) async throws -> Summary {
        let conntrack = try Conntrack(namespace: options.namespace)
        var subscriptionOptions = options.subscription
        // Empty batches while idle: they notice a closed output and keep --duration's time.
        subscriptionOptions.heartbeat = true
        let subscription = try conntrack.subscribe(subscriptionOptions)
        defer { subscription.cancel() }
        SubscriptionNotes.warnIfBufferCapped(subscription)
        options.metrics?.subscribed(subscription)
        options.metrics?.tableRead()
        if options.verbose {
            let types = EventKind.allCases.filter { options.subscription.types.contains($0) }.map {
                $0.tag.lowercased()
            }
            Diagnostics.line(
                "subscribed to \(types.joined(separator: ",")) events in \(options.namespace); receive buffer "
                    + "\(subscription.grantedBufferSize) bytes (\(subscription.bufferForced ? "SO_RCVBUFFORCE" : "SO_RCVBUF")), "
                    + "grows to \(options.subscription.maxBufferSize) after an overrun"
                    + (options.subscription.reliable ? "; reliable delivery on" : ""))
        }
        var summary = Summary()
        var stream = Stream.received
        do {
            var namer: FlowNamer?
            if let cluster = options.cluster, !cluster.isEmpty { namer = try FlowNamer(cluster, conntrack: conntrack) }
            stream = try await pump(
                subscription, options: options, sink: sink, summary: &summary,
                namespaceName: NamespaceNameWatch(conntrack), namer: namer)
            try sink.flush()
        } catch LineSink.Failure.readerGone {
            // `ctwatch events | head`: the reader has what it wanted.
            stream = .stopped
        } catch is CancellationError {
            stream = .stopped
            try? flushUnlessReaderGone(sink)
        }
        subscription.cancel()
        if stream == .received, let error = subscription.error { throw error }
        if options.verbose {
            Diagnostics.line("\(summary.eventsWritten) events written, \(summary.overruns) overruns")
        }
        return summary
    }

    /// How the pump ended: the subscription's stream ended (maybe with an error), or ctwatch stopped it.
    enum Stream { case received, stopped }

    private static func flushUnlessReaderGone(_ sink: LineSink) throws {
        do { try sink.flush() } catch LineSink.Failure.readerGone {}
    }

    /// Formats and writes every batch until the stream ends, the count is
    /// reached, the duration is over, or the task is cancelled (then it throws
    /// CancellationError with every line formatted so far still in the sink).
    private static func pump(
        _ subscription: EventSubscription, options: Options, sink: LineSink, summary: inout Summary,
        namespaceName: NamespaceNameWatch, namer: FlowNamer?
    ) async throws -> Stream {
        var namespaceName = namespaceName
        var namer = namer
        var lines = LineWriter(buffer: sink.buffer)
        let deadline = options.duration.map { MonotonicClock.seconds() + $0 }
        for await batch in subscription.batches {
            // A shutdown does not wait for what is queued behind it.
            try Task.checkCancellation()
            options.metrics?.batchRead(batch)
            namer?.refresh()
            for element in batch {
                switch element {
                case .event(let event):
                    let attribution = namer?.attribution(of: event.flow)
                    if options.format == .json {
                        lines.eventJSON(event, attribution: attribution)
                    } else {
                        lines.eventText(event, attribution: attribution)
                    }
                    try sink.lineAppended()
                    summary.eventsWritten += 1
                    if let count = options.count, summary.eventsWritten >= count { return .stopped }
                case .lost(let loss):
                    summary.overruns = loss.overruns
                    if options.format == .json {
                        lines.lossJSON(loss, dataset: "ctwatch.events", resync: false)
                        try sink.lineAppended()
                    }
                    // Said at once, in both modes, after what was received before it.
                    try sink.flush()
                    Diagnostics.line("warning: " + EventFormatter.lossWarning(loss))
                }
            }
            try sink.flush()
            if batch.isEmpty && sink.readerGone { throw LineSink.Failure.readerGone }
            let now = MonotonicClock.seconds()
            namespaceName.check(now: now)
            if let deadline, now >= deadline { return .stopped }
        }
        // The stream ended without being asked to: a cancelled task, or the subscription failed.
        try Task.checkCancellation()
        return .received
    }
}
