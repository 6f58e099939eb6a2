import Conntrack

/// LineWriter formats whole output lines (events, lost-event records, list
/// entries, stuck alerts) into a ByteBuffer: the entry the front end's loops
/// call for every line.
///
/// It lives in this module on purpose: the formatters are generic over
/// ByteOutput, and a call from another module into a generic function runs
/// unspecialised, through witness tables, for every byte. Here the compiler
/// specialises them for ByteBuffer once. Not thread-safe: one writer.
public struct LineWriter {
    public let buffer: ByteBuffer
    private var json: JSONWriter<ByteBuffer>
    private var times = EventFormatter.TimeTexts()
    private var textTimes = EventFormatter.TimeTexts(fractionDigits: 6)
    private var fragments = DiagnosisFragments()
    private var starts = EventFormatter.TimeTexts()

    public init(buffer: ByteBuffer) {
        self.buffer = buffer
        json = JSONWriter(output: buffer)
    }

    /// A `ctwatch.events` JSON line.
    public mutating func eventJSON(_ event: ConntrackEvent, attribution: Attribution? = nil) {
        EventFormatter.appendJSON(event, attribution: attribution, times: &times, into: &json)
    }

    /// A `conntrack -E` style text line, the names appended when known.
    public mutating func eventText(_ event: ConntrackEvent, attribution: Attribution? = nil) {
        var out = buffer
        EventFormatter.appendText(event, attribution: attribution, times: &textTimes, to: &out)
    }

    /// An `events-lost` JSON line.
    public mutating func lossJSON(_ loss: EventLoss, dataset: StaticString, resync: Bool) {
        EventFormatter.appendLossJSON(loss, dataset: dataset, resync: resync, into: &json)
    }

    /// A `ctwatch.list` JSON line.
    public mutating func listJSON(_ flow: Flow, time: WallTime, attribution: Attribution? = nil) {
        Listing.appendJSON(flow, time: time, attribution: attribution, into: &json)
    }

    /// A `conntrack -L` style text line, the names appended when known.
    public mutating func listText(_ flow: Flow, attribution: Attribution? = nil) {
        var out = buffer
        FlowFormatter.appendConntrackText(flow, to: &out)
        attribution?.appendText(to: &out)
        out.append(0x0a)
    }

    /// A `ctwatch.stuck` alert line; the rendered diagnoses are reused across lines.
    public mutating func stuckJSON(_ finding: StuckFinding, time: WallTime) {
        StuckReport.appendJSON(
            finding, timestamp: times.text(time), start: starts.text(finding.since), fragments: &fragments,
            into: &json)
    }
}
