import CTWatchCore
import Conntrack

extension Listing {
    /// `ctwatch list`: dumps, formats and writes every matching entry; returns how many were written.
    @discardableResult
    static func run(
        namespace: NetworkNamespace, filter: FlowFilter, format: OutputFormat, cluster: ClusterSource, sink: LineSink
    ) async throws -> Int {
        let conntrack = try Conntrack(namespace: namespace)
        let namer = try FlowNamer(cluster, conntrack: conntrack)
        let now = WallTime.now()
        var lines = LineWriter(buffer: sink.buffer)
        var written = 0
        do {
            for try await batch in conntrack.dumpBatches(filter: filter) {
                for flow in batch {
                    let attribution = namer.attribution(of: flow)
                    if format == .json {
                        lines.listJSON(flow, time: now, attribution: attribution)
                    } else {
                        lines.listText(flow, attribution: attribution)
                    }
                    try sink.lineAppended()
                    written += 1
                }
            }
            try sink.flush()
        } catch LineSink.Failure.readerGone {
            return written
        }
        return written
    }
}
