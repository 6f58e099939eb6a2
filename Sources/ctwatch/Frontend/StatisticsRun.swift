import CTWatchCore
import Conntrack

/// StatisticsRun is `ctwatch stats`: reads the statistics every interval and
/// writes each sample, until a count, a shutdown signal (the task is
/// cancelled, see LongRunning), or the reader going away.
enum StatisticsRun {
    struct Options: Sendable {
        var namespace: NetworkNamespace = .current
        var format: OutputFormat = .text
        /// Seconds between samples.
        var interval = 1.0
        /// Exit after this many samples.
        var count: Int?
    }

    /// How often a wait between samples looks whether the reader went away.
    static let readerCheckNanoseconds: UInt64 = 200_000_000

    /// Returns how many samples were written.
    static func run(_ options: Options, sink: LineSink) async throws -> Int {
        let conntrack = try Conntrack(namespace: options.namespace)
        defer { conntrack.close() }
        var sampler = StatisticsSampler()
        var namespaceName = NamespaceNameWatch(conntrack)
        let intervalNanoseconds = UInt64(options.interval * 1e9)
        // Samples keep to a schedule from the first, so a slow read does not shift the ones after it.
        var due = MonotonicClock.nanoseconds()
        var written = 0
        do {
            while true {
                let statistics = try conntrack.statistics()
                let sample = sampler.sample(
                    statistics, time: .now(), monotonicNanoseconds: MonotonicClock.nanoseconds())
                if options.format == .json {
                    var json = JSONWriter(output: sink.buffer)
                    StatisticsReport.appendJSON(sample, into: &json)
                    try sink.lineAppended()
                } else {
                    for line in StatisticsReport.textLines(sample) { try sink.appendLine(line) }
                }
                try sink.flush()
                written += 1
                if let count = options.count, written >= count { return written }
                namespaceName.check(now: MonotonicClock.seconds())
                due += intervalNanoseconds
                try await waitUntil(due, sink: sink)
            }
        } catch LineSink.Failure.readerGone {
            // `ctwatch stats | head`: the reader has what it wanted.
            return written
        } catch is CancellationError {
            // SIGINT or SIGTERM: every sample was written whole when it was taken.
            return written
        }
    }

    /// Sleeps until `due` on the monotonic clock, looking every 0.2 s whether
    /// the reader went away. Throws CancellationError at once when cancelled.
    private static func waitUntil(_ due: UInt64, sink: LineSink) async throws {
        while true {
            let now = MonotonicClock.nanoseconds()
            guard now < due else { return }
            try await Task.sleep(nanoseconds: min(due - now, readerCheckNanoseconds))
            if sink.readerGone { throw LineSink.Failure.readerGone }
        }
    }
}
