import Conntrack

/// Listing is `ctwatch list`: one snapshot of the table, as `conntrack -L`
/// style text or `ctwatch.list` JSON lines.
public enum Listing {
    /// Dumps, formats and writes every matching entry; returns how many were written.
    @discardableResult
    public static func run(namespace: NetworkNamespace, filter: FlowFilter, format: OutputFormat, sink: LineSink) async throws -> Int {
        let conntrack = try Conntrack(namespace: namespace)
        let now = WallTime.now()
        var json = JSONWriter(output: sink.buffer)
        var written = 0
        do {
            for try await batch in conntrack.dumpBatches(filter: filter) {
                for flow in batch {
                    if format == .json {
                        appendJSON(flow, time: now, into: &json)
                    } else {
                        FlowFormatter.appendConntrackText(flow, to: &sink.buffer)
                        sink.buffer.append(0x0a)
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

    /// One `ctwatch.list` JSON line (`event.kind: state`).
    public static func appendJSON(_ flow: Flow, time: WallTime, into json: inout JSONWriter<some ByteOutput>) {
        json.beginObject()
        FlowFormatter.writeHeader(&json, timestamp: time, level: "info") { message in
            FlowFormatter.appendName(flow.transport, to: &message)
            message.append(0x20)
            FlowFormatter.appendShortTuple(flow, to: &message)
            if let state = flow.tcpState {
                message.append(0x20)
                message.append(literal: state.name)
            }
            if flow.isUnreplied { message.append(literal: " [UNREPLIED]") }
        }
        FlowFormatter.beginEvent(kind: "state", action: "conntrack-entry", dataset: "ctwatch.list", into: &json)
        EventFormatter.writeTimes(flow, into: &json)
        json.endObject()
        FlowFormatter.writeFlow(flow, into: &json)
        json.endObject()
        json.newline()
    }
}
