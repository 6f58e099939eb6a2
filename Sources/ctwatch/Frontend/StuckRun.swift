import CTWatchCore
import Conntrack

/// StuckRun is `ctwatch stuck`: one look at the table, or `--watch` (see
/// StuckWatcher), with findings written to a sink and notices to stderr.
enum StuckRun {
    struct Options: Sendable {
        var scan = StuckScan.Options()
        var watch = false
        /// Seconds between re-dumps in watch mode.
        var resyncInterval: Double = 10
        /// Watch mode: stop after this many seconds.
        var duration: Double?
        var format: OutputFormat = .text
        var verbose = false
        var bufferSize = 64 << 20
        var maxBufferSize = 512 << 20
        /// Watch mode: counts what is read and found, for `--metrics-address`.
        var metrics: MetricsService?
    }

    /// Prepares the scan and says what it chose; the watch runs as a long-running job.
    /// Returns the exit status: findings when stuck flows were reported, except
    /// for a watch stopped by SIGTERM or SIGINT, which is the normal end of an
    /// agent's watch (a Kubernetes pod being stopped) and exits 0.
    static func run(_ options: Options, cluster: ClusterSource, syncTimeout: Double) async throws -> Int32 {
        var options = options
        // Both wait for the API's first answer: a watch's first findings need the names as much.
        await cluster.waitForSync(timeout: syncTimeout)
        var follower = ClusterSource.Follower()
        options.scan.cluster = follower.newer(from: cluster) ?? cluster.view()
        let context = try StuckScan.prepare(options.scan)
        for notice in context.notices { Diagnostics.line(notice.description) }
        if options.watch {
            let result = try await LongRunning.run("stuck --watch", companion: options.metrics?.run) {
                [context, options, follower] in
                try await StuckWatcher(
                    options: options, context: context, cluster: cluster, follower: follower, sink: .standardOutput()
                ).run()
            }
            if result.ending == .stopped { return ExitStatus.ok }
            return result.outcome.stuck > 0 ? ExitStatus.findings : ExitStatus.ok
        }
        let outcome = try await lookOnce(options, context: context, sink: .standardOutput())
        return outcome.stuck > 0 ? ExitStatus.findings : ExitStatus.ok
    }

    /// One look (two when ages must be observed): report what is stuck now.
    /// JSON lines stream out while the dump is still being received (it runs
    /// on a thread of its own); the text table waits for all, to sort it.
    static func lookOnce(_ options: Options, context: StuckScan.Context, sink: LineSink) async throws
        -> StuckScan.Outcome
    {
        var tracker = StuckTracker(rules: context.rules)
        tracker.beginDump(neighbours: context.neighbours)
        var emitter = Emitter(options: options, context: context, sink: sink)
        do {
            for try await batch in context.conntrack.dumpBatches(filter: context.rules.dumpFilter) {
                // The batch's findings share their time, formatted once.
                let now = WallTime.now()
                for flow in batch {
                    if let change = tracker.observe(flow, now: now.nanoseconds, fromDump: true) {
                        try emitter.add(change, time: now)
                    }
                }
                try emitter.flushJSON()
            }
            if tracker.waitingForObservation(now: WallTime.now().nanoseconds) {
                // Without the kernel's start time an age is a guess: watch the same
                // entries (same id and tuple) for --min-age instead.
                Diagnostics.line(
                    StuckNotice.observingAges(namespace: options.scan.namespace, minAge: options.scan.minAge)
                        .description)
                try await Task.sleep(for: .seconds(options.scan.minAge))
                let seen = try await StuckScan.dump(context, into: &tracker)
                let now = WallTime.now()
                for change in seen { try emitter.add(change, time: now) }
                _ = tracker.endDump(now: now.nanoseconds, missesToForget: 1)
                for change in tracker.due(now: now.nanoseconds) { try emitter.add(change, time: now) }
            }
            try emitter.finish()
        } catch LineSink.Failure.readerGone {}
        return StuckScan.Outcome(stuck: emitter.count)
    }

    /// Emitter writes findings: JSON at once, text as a sorted table at the end.
    struct Emitter {
        let options: Options
        let context: StuckScan.Context
        let sink: LineSink
        var lines: LineWriter
        var table: [StuckFinding] = []
        var diagnoses = DiagnosisMemo()
        var count = 0

        init(options: Options, context: StuckScan.Context, sink: LineSink) {
            self.options = options
            self.context = context
            self.sink = sink
            lines = LineWriter(buffer: sink.buffer)
        }

        mutating func add(_ change: StuckTracker.Change, time: WallTime) throws {
            let item = StuckScan.finding(change, options: options.scan, context: context, memo: &diagnoses)
            count += 1
            if options.format == .json {
                lines.stuckJSON(item, time: time)
                try sink.lineAppended()
            } else {
                table.append(item)
            }
        }

        func flushJSON() throws {
            if options.format == .json { try sink.flush() }
        }

        func finish() throws {
            if options.format == .text {
                if table.isEmpty {
                    try sink.appendLine(
                        "No DNAT'ed flows stuck unreplied, or sent to a gone backend, in "
                            + "\(context.rules.subnets.map(\.description).joined(separator: ", "))."
                    )
                } else {
                    for line in StuckReport.table(table.sorted { $0.age > $1.age }) { try sink.appendLine(line) }
                }
            }
            try sink.flush()
        }
    }
}
