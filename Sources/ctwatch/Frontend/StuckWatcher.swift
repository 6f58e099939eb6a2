import CTWatchCore
import Conntrack

/// StuckWatcher is `stuck --watch`: subscribe first, then dump, so a flow
/// created during the first dump is caught by its event; re-dump
/// periodically, because entries created before the subscription send no
/// events when nf_conntrack_events is 2; resync from a dump after lost events.
///
/// ResyncSchedule says when to re-dump (the interval, lost events, the end of
/// a loss episode). A cancelled task (a shutdown signal) stops at once,
/// whatever is queued or half dumped, and every way out writes the complete
/// lines held.
final class StuckWatcher {
    /// How often due flows and --duration are looked at.
    static let tickInterval = 0.2

    /// How the watch ended: on its own (duration, reader gone, stream end) or stopped by a signal.
    enum Ending { case finished, stopped }

    struct Result: Sendable {
        var outcome: StuckScan.Outcome
        var ending: Ending
    }

    let options: StuckRun.Options
    /// Where pods, Services and endpoints come from; a live view changes.
    let cluster: ClusterSource
    var follower: ClusterSource.Follower
    var context: StuckScan.Context
    let sink: LineSink
    var tracker: StuckTracker
    var outcome = StuckScan.Outcome()
    var announcedCauses: Set<String> = []
    /// The flows reported stuck and not cleared, for the metrics; kept only
    /// with `--metrics-address` (an entry per stuck flow).
    var ledger = StuckLedger()
    var diagnoses = DiagnosisMemo()
    var lines: LineWriter

    /// When to re-dump; started again once the first dump is read.
    var schedule: ResyncSchedule

    init(
        options: StuckRun.Options, context: StuckScan.Context, cluster: ClusterSource,
        follower: ClusterSource.Follower, sink: LineSink
    ) {
        self.options = options
        self.cluster = cluster
        self.follower = follower
        self.context = context
        self.sink = sink
        lines = LineWriter(buffer: sink.buffer)
        tracker = StuckTracker(rules: context.rules)
        schedule = ResyncSchedule(
            interval: options.resyncInterval, firstDumpBegan: WallTime.now(), ended: MonotonicClock.seconds())
    }

    func run() async throws -> Result {
        var subscriptionOptions = EventSubscription.Options()
        subscriptionOptions.filter.transports = [.tcp, .udp, .sctp]
        subscriptionOptions.bufferSize = options.bufferSize
        subscriptionOptions.maxBufferSize = options.maxBufferSize
        // Empty batches while idle: the clock for --min-age, resyncs and --duration.
        subscriptionOptions.heartbeat = true
        let subscription = try context.conntrack.subscribe(subscriptionOptions)
        defer { subscription.cancel() }
        SubscriptionNotes.warnIfBufferCapped(subscription)
        options.metrics?.subscribed(subscription)
        if options.verbose {
            Diagnostics.line(
                "watching \(options.scan.namespace) for stuck DNAT flows; receive buffer \(subscription.grantedBufferSize) bytes, "
                    + "grows to \(options.maxBufferSize) after an overrun")
        }
        var ending = Ending.finished
        do {
            try await watch(subscription)
        } catch LineSink.Failure.readerGone {
            return Result(outcome: outcome, ending: .finished)
        } catch is CancellationError {
            ending = .stopped
        }
        subscription.cancel()
        do {
            try sink.flush()
        } catch LineSink.Failure.readerGone {
            return Result(outcome: outcome, ending: ending)
        }
        if ending == .finished, let error = subscription.error { throw error }
        return Result(outcome: outcome, ending: ending)
    }

    /// The loop over the subscription; its back-pressure reaches the kernel
    /// buffer when this consumer falls behind. Returns with lines still held.
    private func watch(_ subscription: EventSubscription) async throws {
        let firstDumpBegan = WallTime.now()
        try report(await StuckScan.dump(context, into: &tracker))
        _ = tracker.endDump(now: WallTime.now().nanoseconds)
        try sink.flush()
        options.metrics?.tableRead()
        let started = MonotonicClock.seconds()
        schedule = ResyncSchedule(interval: options.resyncInterval, firstDumpBegan: firstDumpBegan, ended: started)
        var lastTick = started
        var namespaceName = NamespaceNameWatch(context.conntrack)
        for await batch in subscription.batches {
            // A shutdown does not wait for what is queued behind it.
            try Task.checkCancellation()
            options.metrics?.batchRead(batch)
            try handle(batch)
            if let reason = schedule.due(at: MonotonicClock.seconds()) {
                try await resync(reason: reason)
            }
            let now = MonotonicClock.seconds()
            if now - lastTick >= Self.tickInterval {
                lastTick = now
                namespaceName.check(now: now)
                followCluster()
                try report(tracker.due(now: WallTime.now().nanoseconds))
                if let duration = options.duration, now - started >= duration { return }
            }
            try sink.flush()
            if batch.isEmpty && sink.readerGone { throw LineSink.Failure.readerGone }
        }
        try Task.checkCancellation()
    }

    /// Re-dumps into the tracker and reports what the dump changed; says why, unless it was the interval.
    private func resync(reason: ResyncSchedule.Reason) async throws {
        schedule.resyncBegan(WallTime.now(), at: MonotonicClock.seconds())
        // The sysctls, the bridges' own options and the neighbours decide the diagnosis: they change.
        for notice in try StuckScan.refresh(&context) { Diagnostics.line(notice.description) }
        followCluster()
        try report(await StuckScan.dump(context, into: &tracker))
        try report(tracker.endDump(now: WallTime.now().nanoseconds))
        schedule.resyncEnded(at: MonotonicClock.seconds())
        if reason != .interval {
            options.metrics?.metrics.resynced()
            Diagnostics.line("resynced from a dump after \(reason): \(tracker.count) DNAT flows tracked")
        }
    }

    /// Takes a newer view of the cluster, when there is one: its Services and endpoints judge flows from now on.
    private func followCluster() {
        guard let view = follower.newer(from: cluster) else { return }
        context.rules = context.rules.with(cluster: view)
        tracker.update(cluster: view)
    }

    private func handle(_ batch: [EventStreamElement]) throws {
        let now = WallTime.now().nanoseconds
        var changes: [StuckTracker.Change] = []
        for element in batch {
            switch element {
            case .event(let event):
                switch event.kind {
                case .new, .update:
                    if let change = tracker.observe(event.flow, now: now, fromDump: false) { changes.append(change) }
                case .destroy:
                    if let change = tracker.destroyed(event.flow, now: now) { changes.append(change) }
                }
            case .lost(let loss):
                try report(changes)
                changes = []
                if options.format == .json {
                    lines.lossJSON(loss, dataset: "ctwatch.stuck", resync: true)
                    try sink.lineAppended()
                }
                try sink.flush()
                Diagnostics.line("warning: " + EventFormatter.lossWarning(loss))
                schedule.lossSeen(loss, at: MonotonicClock.seconds())
            }
        }
        try report(changes)
    }

    /// Writes the findings of `changes`. A resync after loss can bring tens of
    /// thousands at once: a shutdown stops between two of them (with CancellationError).
    private func report(_ changes: [StuckTracker.Change]) throws {
        let newest = changes.compactMap { change -> WallTime? in
            switch change {
            case .stuck(_, let since, _, _), .staleBackend(_, let since, _, _): since
            case .cleared: nil
            }
        }.max()
        if let newest {
            for notice in try StuckScan.refreshNeighbours(&context, before: newest) {
                Diagnostics.line(notice.description)
            }
        }
        let now = WallTime.now()
        var newlyStuck: [StuckLedger.Series] = []
        let metrics = options.metrics?.metrics
        defer { if !changes.isEmpty { metrics?.record(ledger, newlyStuck: newlyStuck) } }
        for (index, change) in changes.enumerated() {
            if index % 64 == 63 { try Task.checkCancellation() }
            let item = StuckScan.finding(change, options: options.scan, context: context, memo: &diagnoses)
            if metrics != nil, let series = ledger.record(item) { newlyStuck.append(series) }
            if item.cleared == nil { outcome.stuck += 1 } else { outcome.cleared += 1 }
            if options.format == .json {
                lines.stuckJSON(item, time: now)
                try sink.lineAppended()
            } else {
                try sink.appendLine(StuckReport.watchLine(item, now: now))
                if item.cleared == nil && announcedCauses.insert(item.diagnosis.code).inserted {
                    for line in StuckReport.causeLines([item]) { try sink.appendLine("  " + line) }
                }
            }
        }
    }
}
