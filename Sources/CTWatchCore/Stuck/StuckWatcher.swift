import Conntrack
import Foundation

extension StuckScan {
    /// Watcher is `stuck --watch`: subscribe first, then dump, so a flow
    /// created during the first dump is caught by its event; re-dump
    /// periodically, because entries created before the subscription send no
    /// events when nf_conntrack_events is 2; resync from a dump after lost events.
    final class Watcher {
        let options: Options
        var context: Context
        let sink: LineSink
        var tracker: StuckTracker
        var outcome = Outcome()
        var overruns = 0
        var announcedCauses: Set<String> = []
        var json: JSONWriter<ByteBuffer>

        init(options: Options, context: Context, sink: LineSink) {
            self.options = options
            self.context = context
            self.sink = sink
            json = JSONWriter(output: sink.buffer)
            tracker = StuckTracker(rules: context.rules, minAgeSeconds: options.minAge)
        }

        func run() async throws -> Outcome {
            var subscriptionOptions = EventSubscription.Options()
            subscriptionOptions.filter.transports = [.tcp, .udp, .sctp]
            subscriptionOptions.bufferSize = options.bufferSize
            subscriptionOptions.maxBufferSize = options.maxBufferSize
            // Empty batches while idle: the clock for --min-age, resyncs and --duration.
            subscriptionOptions.heartbeat = true
            let subscription = try context.conntrack.subscribe(subscriptionOptions)
            warnIfBufferCapped(subscription)
            if options.verbose {
                Diagnostics.line(
                    "watching \(options.namespace) for stuck DNAT flows; receive buffer \(subscription.grantedBufferSize) bytes, "
                        + "grows to \(options.maxBufferSize) after an overrun")
            }
            let signals = Terminal.onInterrupt { _ in subscription.cancel() }
            defer {
                signals.forEach { $0.cancel() }
                subscription.cancel()
            }
            do {
                try dump()
                _ = tracker.endDump(now: WallTime.now().nanoseconds)
                try sink.flush()
                let started = MonotonicClock.seconds()
                var lastDump = started
                var lastTick = started
                // One loop over the subscription: its back-pressure reaches the
                // kernel buffer when this consumer falls behind.
                for await batch in subscription.batches {
                    if batch.isEmpty && sink.readerGone { break }
                    try handle(batch)
                    let now = MonotonicClock.seconds()
                    if now - lastTick >= 0.2 {
                        lastTick = now
                        if let duration = options.duration, now - started >= duration { break }
                        if now - lastDump >= options.resyncInterval {
                            try resync(reason: nil)
                            lastDump = MonotonicClock.seconds()
                        }
                        try report(tracker.due(now: WallTime.now().nanoseconds))
                    }
                    try sink.flush()
                }
            } catch LineSink.Failure.readerGone {
                return outcome
            }
            if let error = subscription.error { throw error }
            return outcome
        }

        /// Dumps into the tracker and reports the flows found already stuck.
        func dump() throws {
            try report(StuckScan.dump(context, into: &tracker))
        }

        func resync(reason: String?) throws {
            // The sysctls decide the diagnosis; someone may have fixed them meanwhile.
            context.bridgeNetfilter = try StuckScan.bridgeNetfilter(context.conntrack)
            try dump()
            try report(tracker.endDump(now: WallTime.now().nanoseconds))
            if let reason {
                Diagnostics.line("resynced from a dump after \(reason): \(tracker.count) unreplied DNAT flows tracked")
            }
        }

        func handle(_ batch: [EventStreamElement]) throws {
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
                    overruns = loss.overruns
                    if options.format == .json {
                        EventFormatter.appendLossJSON(loss, dataset: "ctwatch.stuck", resync: true, into: &json)
                        try sink.lineAppended()
                    }
                    try sink.flush()
                    Diagnostics.line("warning: " + EventFormatter.lossWarning(loss))
                    try resync(reason: "lost events")
                }
            }
            try report(changes)
        }

        func report(_ changes: [StuckTracker.Change]) throws {
            let now = WallTime.now()
            for change in changes {
                let item = StuckScan.finding(change, options: options, context: context)
                if item.cleared == nil { outcome.stuck += 1 } else { outcome.cleared += 1 }
                if options.format == .json {
                    StuckReport.appendJSON(item, time: now, into: &json)
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
}
