import Conntrack

/// StuckReport renders findings: a table and cause lines for people, alert lines for log pipelines.
public enum StuckReport {
    /// `12s`, `3m04s`, `1h02m`; with a `>=` when the age is only known to be at least that.
    public static func ageText(_ nanoseconds: UInt64, exact: Bool) -> String {
        var bytes: [UInt8] = []
        appendAge(nanoseconds, exact: exact, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same, appended as bytes (an alert's message writes one per line).
    static func appendAge(_ nanoseconds: UInt64, exact: Bool, to out: inout some ByteOutput) {
        let seconds = nanoseconds / 1_000_000_000
        if !exact { out.append(literal: ">=") }
        if seconds < 60 {
            ASCIIDigits.append(seconds, to: &out)
            out.append(UInt8(ascii: "s"))
        } else if seconds < 3600 {
            ASCIIDigits.append(seconds / 60, to: &out)
            out.append(UInt8(ascii: "m"))
            ASCIIDigits.append(seconds % 60, width: 2, to: &out)
            out.append(UInt8(ascii: "s"))
        } else {
            ASCIIDigits.append(seconds / 3600, to: &out)
            out.append(UInt8(ascii: "h"))
            ASCIIDigits.append(seconds / 60 % 60, width: 2, to: &out)
            out.append(UInt8(ascii: "m"))
        }
    }

    static func endpoint(_ ip: IPAddress, _ port: UInt16, _ flow: Flow) -> String {
        var bytes: [UInt8] = []
        FlowFormatter.appendEndpoint(ip, port, flow: flow, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func columns(_ finding: StuckFinding) -> [String] {
        let flow = finding.flow
        let source =
            finding.attribution.sourcePod.map { "\($0) (\(flow.original.source))" } ?? "\(flow.original.source)"
        let serviceAddress = endpoint(flow.original.destination, flow.original.destinationPort, flow)
        let service =
            finding.attribution.service.map { "\($0) (\(serviceAddress))" }
            ?? (finding.nodePort ? "NodePort \(serviceAddress)" : serviceAddress)
        let backendAddress = endpoint(flow.reply.source, flow.reply.sourcePort, flow)
        let backend = finding.attribution.backendPod.map { "\($0) (\(backendAddress))" } ?? backendAddress
        let state = flow.tcpState?.description ?? (flow.isUnreplied ? "UNREPLIED" : "REPLIED")
        return [
            ageText(finding.age, exact: finding.ageFromKernel), flow.transport.description, source, service, backend,
            state,
        ]
    }

    /// The table of unreplied flows, the table of flows to gone backends
    /// (either left out when empty), and one line per distinct cause with its fix.
    public static func table(_ findings: [StuckFinding]) -> [String] {
        let unreplied = findings.filter { $0.kind == .unreplied }
        let stale = findings.filter { $0.kind == .staleBackend }
        var lines: [String] = []
        if !unreplied.isEmpty { lines += rows(unreplied) + [""] }
        if !stale.isEmpty {
            lines.append("DNAT'ed to a backend that is gone (their clients are black-holed while they keep sending):")
            lines += rows(stale) + [""]
        }
        return lines + causeLines(findings)
    }

    /// The aligned rows of one table, with its header.
    static func rows(_ findings: [StuckFinding]) -> [String] {
        let header = ["AGE", "PROTO", "SOURCE POD", "SERVICE", "BACKEND POD", "STATE"]
        let rows = [header] + findings.map(columns)
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }.joined()
        }
    }

    /// `2 flows: bridge-nf-call-iptables-disabled. <explanation>` and `  fix: ...`, per distinct cause
    /// (one code can have several: each bridge's text names the bridge).
    public static func causeLines(_ findings: [StuckFinding]) -> [String] {
        var order: [Diagnosis] = []
        var counts: [Diagnosis: Int] = [:]
        for finding in findings {
            if counts[finding.diagnosis] == nil { order.append(finding.diagnosis) }
            counts[finding.diagnosis, default: 0] += 1
        }
        var lines: [String] = []
        for diagnosis in order {
            let count = counts[diagnosis] ?? 0
            lines.append("\(count) flow\(count == 1 ? "" : "s"): \(diagnosis.code). \(diagnosis.explanation)")
            if let fix = diagnosis.fix { lines.append("  fix: \(fix)") }
        }
        return lines
    }

    /// One line for `--watch` text output.
    public static func watchLine(_ finding: StuckFinding, now: WallTime) -> String {
        let time = RFC3339.seconds(now)
        let c = columns(finding)
        if let reason = finding.cleared {
            return
                "\(time) CLEARED (\(reason.rawValue)) \(c[1]) \(c[2]) -> \(c[3]) => \(c[4]) after \(c[0])"
        }
        if finding.kind == .staleBackend {
            return
                "\(time) STALE \(c[1]) \(c[2]) -> \(c[3]) => \(c[4]) gone, \(c[5]) for \(c[0]): \(finding.diagnosis.code) (client black-holed)"
        }
        return
            "\(time) STUCK \(c[1]) \(c[2]) -> \(c[3]) => \(c[4]) \(c[5]) for \(c[0]): \(finding.diagnosis.code)"
    }

    /// The alert's `event.action`: `dnat-unreplied`, `dnat-stale-backend`, and their `-cleared`.
    static func action(_ finding: StuckFinding) -> StaticString {
        switch (finding.kind, finding.cleared == nil) {
        case (.unreplied, true): "dnat-unreplied"
        case (.unreplied, false): "dnat-unreplied-cleared"
        case (.staleBackend, true): "dnat-stale-backend"
        case (.staleBackend, false): "dnat-stale-backend-cleared"
        }
    }

    /// One `dnat-unreplied` or `dnat-stale-backend` (or `-cleared`) alert line.
    public static func appendJSON(_ finding: StuckFinding, time: WallTime, into json: inout JSONWriter<some ByteOutput>)
    {
        var fragments = DiagnosisFragments()
        appendJSON(finding, time: time, fragments: &fragments, into: &json)
    }

    /// The same, reusing the rendered `diagnosis` objects of `fragments`
    /// (the explanation and fix are the longest text of a line).
    public static func appendJSON(
        _ finding: StuckFinding, time: WallTime, fragments: inout DiagnosisFragments,
        into json: inout JSONWriter<some ByteOutput>
    ) {
        appendJSON(
            finding, timestamp: InlineText(rfc3339: time), start: InlineText(rfc3339: finding.since),
            fragments: &fragments, into: &json)
    }

    /// The same with the times already formatted (the alerts of one dump
    /// share the time, and those of flows first seen by it their start).
    static func appendJSON(
        _ finding: StuckFinding, timestamp: InlineText, start: InlineText, fragments: inout DiagnosisFragments,
        into json: inout JSONWriter<some ByteOutput>
    ) {
        let flow = finding.flow
        let texts = FlowFormatter.AddressTexts(flow)
        let diagnosis = fragments.rendered(finding.diagnosis)
        json.beginObject()
        FlowFormatter.writeHeader(&json, timestamp: timestamp, level: finding.cleared == nil ? "warn" : "info") {
            message in
            let opening: StaticString =
                switch (finding.kind, finding.cleared == nil) {
                case (.unreplied, true): "DNAT flow unreplied for "
                case (.staleBackend, true): "DNAT flow to a gone backend for "
                case (_, false): "DNAT flow cleared after "
                }
            message.append(literal: opening)
            appendAge(finding.age, exact: finding.ageFromKernel, to: &message)
            message.append(literal: ": ")
            FlowFormatter.appendName(flow.transport, to: &message)
            message.append(0x20)
            FlowFormatter.appendShortTuple(flow, texts: texts, to: &message)
            if finding.cleared == nil {
                message.append(literal: finding.nodePort ? " (NodePort, " : " (")
                message.append(utf8: finding.diagnosis.code)
                message.append(UInt8(ascii: ")"))
            } else if finding.nodePort {
                message.append(literal: " (NodePort)")
            }
        }
        FlowFormatter.beginEvent(
            kind: "alert", action: action(finding),
            dataset: "ctwatch.stuck", into: &json)
        json.field("start", start)
        json.field("duration", finding.age)
        if let reason = finding.cleared { json.field("reason", reason.rawValue) }
        json.endObject()
        FlowFormatter.writeFlow(flow, texts: texts, attribution: finding.attribution, into: &json) { json in
            json.field(
                "subnet",
                ascii: { out in
                    finding.subnet.address.appendText(to: &out)
                    out.append(UInt8(ascii: "/"))
                    ASCIIDigits.append(UInt64(finding.subnet.prefixLength), to: &out)
                })
            if finding.nodePort { json.field("nodeport", true) }
            json.field("age_source", finding.ageFromKernel ? "kernel-timestamp" as StaticString : "observed")
            json.fragment(diagnosis)
        }
        json.endObject()
        json.newline()
    }
}
