import Conntrack
import Foundation

/// EventTail is `ctwatch events`: a live tail of conntrack events, as text or
/// JSON lines, until a count, a duration, a signal, or the reader going away.
public enum EventTail {
    public struct Options: Sendable {
        public var namespace: NetworkNamespace = .current
        public var subscription = EventSubscription.Options()
        public var format: OutputFormat = .text
        /// Exit after this many events written.
        public var count: Int?
        /// Exit after this many seconds.
        public var duration: Double?
        public var verbose = false
        public init() {}
    }

    public struct Summary: Sendable {
        public var eventsWritten = 0
        public var overruns = 0
    }

    public static func run(_ options: Options, sink: LineSink) async throws -> Summary {
        let conntrack = try Conntrack(namespace: options.namespace)
        var subscriptionOptions = options.subscription
        subscriptionOptions.heartbeat = true  // notices a closed output while no event comes
        let subscription = try conntrack.subscribe(subscriptionOptions)
        defer { subscription.cancel() }
        warnIfBufferCapped(subscription)
        if options.verbose {
            let types = EventKind.allCases.filter { options.subscription.types.contains($0) }.map { $0.tag.lowercased() }
            Diagnostics.line(
                "subscribed to \(types.joined(separator: ",")) events in \(options.namespace); receive buffer "
                    + "\(subscription.grantedBufferSize) bytes (\(subscription.bufferForced ? "SO_RCVBUFFORCE" : "SO_RCVBUF")), "
                    + "grows to \(options.subscription.maxBufferSize) after an overrun"
                    + (options.subscription.reliable ? "; reliable delivery on" : ""))
        }
        let signalSources = Terminal.onInterrupt { _ in subscription.cancel() }
        defer { signalSources.forEach { $0.cancel() } }
        var timer: Task<Void, Never>?
        if let duration = options.duration {
            timer = Task {
                try? await Task.sleep(for: .seconds(duration))
                subscription.cancel()
            }
        }
        defer { timer?.cancel() }

        var summary = Summary()
        do {
            try await pump(subscription, options: options, sink: sink, summary: &summary)
        } catch LineSink.Failure.readerGone {
            // `ctwatch events | head`: the reader has what it wanted.
        }
        subscription.cancel()
        if let error = subscription.error { throw error }
        if options.verbose {
            Diagnostics.line("\(summary.eventsWritten) events written, \(summary.overruns) overruns")
        }
        return summary
    }
}

extension EventTail {
    /// Formats and writes every batch until the stream ends or the count is reached.
    private static func pump(
        _ subscription: EventSubscription, options: Options, sink: LineSink, summary: inout Summary
    ) async throws {
        var json = JSONWriter(output: sink.buffer)
        var times = EventFormatter.TimeTexts()
        for await batch in subscription.batches {
            if batch.isEmpty {
                if sink.readerGone { throw LineSink.Failure.readerGone }
                continue
            }
            for element in batch {
                switch element {
                case .event(let event):
                    if options.format == .json {
                        EventFormatter.appendJSON(event, times: &times, into: &json)
                    } else {
                        EventFormatter.appendText(event, to: &sink.buffer)
                    }
                    try sink.lineAppended()
                    summary.eventsWritten += 1
                    if let count = options.count, summary.eventsWritten >= count {
                        try sink.flush()
                        return
                    }
                case .lost(let loss):
                    summary.overruns = loss.overruns
                    if options.format == .json {
                        EventFormatter.appendLossJSON(loss, dataset: "ctwatch.events", resync: false, into: &json)
                        try sink.lineAppended()
                    }
                    // Said at once, in both modes, after what was received before it.
                    try sink.flush()
                    Diagnostics.line("warning: " + EventFormatter.lossWarning(loss))
                }
            }
            try sink.flush()
        }
        try sink.flush()
    }
}

/// Warns once when the kernel refused SO_RCVBUFFORCE and the buffer is capped.
func warnIfBufferCapped(_ subscription: EventSubscription) {
    if !subscription.bufferForced {
        Diagnostics.line(
            "warning: receive buffer limited to \(subscription.grantedBufferSize) bytes by net.core.rmem_max "
                + "(SO_RCVBUFFORCE was refused: no CAP_NET_ADMIN); expect lost events under load")
    }
}
