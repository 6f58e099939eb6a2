import Conntrack

/// Listing renders entries of a snapshot of the table (`ctwatch list`) as
/// `ctwatch.list` JSON lines; the text form is `FlowFormatter.appendConntrackText`.
public enum Listing {
    /// One `ctwatch.list` JSON line (`event.kind: state`).
    public static func appendJSON(
        _ flow: Flow, time: WallTime, attribution: Attribution? = nil, into json: inout JSONWriter<some ByteOutput>
    ) {
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
        FlowFormatter.writeFlow(flow, attribution: attribution, into: &json)
        json.endObject()
        json.newline()
    }
}
