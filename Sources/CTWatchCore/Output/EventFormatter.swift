import Conntrack

/// EventFormatter renders conntrack events and loss reports as text and JSON lines.
public enum EventFormatter {
    /// `2026-11-27T00:12:01.123456Z [NEW] tcp 6 120 SYN_SENT src=... [UNREPLIED] src=...`
    /// With an attribution, the names follow (`pod=shop/web-0 ...`, see `Attribution.appendText`).
    public static func appendText(
        _ event: ConntrackEvent, attribution: Attribution? = nil, to out: inout some ByteOutput
    ) {
        var times = TimeTexts(fractionDigits: 6)
        appendText(event, attribution: attribution, times: &times, to: &out)
    }

    /// The same, sharing the formatted receive time across calls (a batch's events share one).
    static func appendText(
        _ event: ConntrackEvent, attribution: Attribution?, times: inout TimeTexts, to out: inout some ByteOutput
    ) {
        times.text(event.received).write(to: &out)
        out.append(0x20)
        out.append(UInt8(ascii: "["))
        out.append(literal: event.kind.literalTag)
        out.append(UInt8(ascii: "]"))
        out.append(0x20)
        FlowFormatter.appendConntrackText(event.flow, showTimeout: event.kind != .destroy, to: &out)
        attribution?.appendText(to: &out)
        out.append(0x0a)
    }

    /// One `ctwatch.events` JSON line.
    public static func appendJSON(
        _ event: ConntrackEvent, attribution: Attribution? = nil, into json: inout JSONWriter<some ByteOutput>
    ) {
        var times = TimeTexts()
        appendJSON(event, attribution: attribution, times: &times, into: &json)
    }

    /// TimeTexts keeps the last receive time formatted: a batch of events shares one.
    struct TimeTexts {
        private let fractionDigits: Int
        private var time = WallTime(nanoseconds: .max)
        private var text = InlineText()

        /// 9 digits of fraction for JSON, 6 for text.
        init(fractionDigits: Int = 9) { self.fractionDigits = fractionDigits }

        mutating func text(_ time: WallTime) -> InlineText {
            if time != self.time {
                self.time = time
                text = InlineText(rfc3339: time, fractionDigits: fractionDigits)
            }
            return text
        }
    }

    /// The same, sharing the formatted receive time across calls (a batch's events share one).
    static func appendJSON(
        _ event: ConntrackEvent, attribution: Attribution?, times: inout TimeTexts,
        into json: inout JSONWriter<some ByteOutput>
    ) {
        let texts = FlowFormatter.AddressTexts(event.flow)
        json.beginObject()
        FlowFormatter.writeHeader(&json, timestamp: times.text(event.received), level: "info") { message in
            message.append(UInt8(ascii: "["))
            message.append(literal: event.kind.literalTag)
            message.append(UInt8(ascii: "]"))
            message.append(0x20)
            FlowFormatter.appendName(event.flow.transport, to: &message)
            message.append(0x20)
            FlowFormatter.appendShortTuple(event.flow, texts: texts, to: &message)
        }
        json.fragment(eventOpening(event.kind))
        writeTimes(event.flow, into: &json)
        json.endObject()
        FlowFormatter.writeFlow(event.flow, texts: texts, attribution: attribution, into: &json)
        json.endObject()
        json.newline()
    }

    /// The `"event":{...` members every line of a kind shares, rendered once
    /// by `FlowFormatter.beginEvent` and copied into each line.
    private static let eventOpenings: [[UInt8]] = EventKind.allCases.map { kind in
        var json = JSONWriter(capacity: 256)
        FlowFormatter.beginEvent(
            kind: "event", action: action(kind), dataset: "ctwatch.events", type: eventType(kind), into: &json)
        return json.bytes
    }

    @inline(__always)
    private static func eventOpening(_ kind: EventKind) -> [UInt8] {
        switch kind {
        case .new: eventOpenings[0]
        case .update: eventOpenings[1]
        case .destroy: eventOpenings[2]
        }
    }

    /// `event.start` / `event.end` / `event.duration` from the kernel's timestamps, when it sent them.
    static func writeTimes(_ flow: Flow, into json: inout JSONWriter<some ByteOutput>) {
        if let start = flow.startNanoseconds {
            json.field("start", ascii: { RFC3339.append(WallTime(nanoseconds: start), to: &$0) })
            if let stop = flow.stopNanoseconds, stop >= start {
                json.field("end", ascii: { RFC3339.append(WallTime(nanoseconds: stop), to: &$0) })
                json.field("duration", stop - start)
            }
        }
    }

    static func action(_ kind: EventKind) -> StaticString {
        switch kind {
        case .new: "conntrack-new"
        case .update: "conntrack-update"
        case .destroy: "conntrack-destroy"
        }
    }

    static func eventType(_ kind: EventKind) -> StaticString {
        switch kind {
        case .new: "start"
        case .update: "info"
        case .destroy: "end"
        }
    }

    /// The one-line warning text mode writes to stderr when events were lost.
    public static func lossWarning(_ loss: EventLoss) -> String {
        let dropped = loss.droppedMessages.map { ", \($0) message\($0 == 1 ? "" : "s") dropped by the kernel" } ?? ""
        return
            "events lost: the kernel receive buffer overran (\(loss.overruns) overrun\(loss.overruns == 1 ? "" : "s") so far\(dropped)); "
            + "receive buffer now \(loss.receiveBufferSize) bytes"
    }

    /// The `events-lost` JSON line.
    public static func appendLossJSON(
        _ loss: EventLoss, dataset: StaticString, resync: Bool, into json: inout JSONWriter<some ByteOutput>
    ) {
        json.beginObject()
        FlowFormatter.writeHeader(&json, timestamp: loss.detected, level: "error") { message in
            FlowFormatter.append(lossWarning(loss), to: &message)
        }
        json.beginObject("event")
        json.field("kind", "pipeline_error" as StaticString)
        json.field("action", "events-lost" as StaticString)
        json.field("dataset", dataset)
        json.endObject()
        json.beginObject("ctwatch")
        json.beginObject("lost")
        json.field("overruns", loss.overruns)
        // Messages the socket dropped since the subscription started: one
        // overrun can cost hundreds of events.
        if let dropped = loss.droppedMessages { json.field("dropped", dropped) }
        json.field("resync", resync)
        json.field("receive_buffer", loss.receiveBufferSize)
        json.endObject()
        json.endObject()
        json.endObject()
        json.newline()
    }
}
