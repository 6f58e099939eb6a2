import CTWatchCore
import Conntrack

extension Doctor {
    /// `ctwatch doctor`: runs the checks on `namespace` and writes them; true when one warns or fails.
    static func run(namespace: NetworkNamespace, format: OutputFormat, sink: LineSink) throws -> Bool {
        let findings = check(try gather(namespace: namespace))
        do {
            if format == .json {
                let now = WallTime.now()
                var json = JSONWriter(output: sink.buffer)
                for finding in findings {
                    appendJSON(finding, time: now, namespace: namespace, into: &json)
                    try sink.lineAppended()
                }
            } else {
                for line in textLines(findings, namespace: namespace) { try sink.appendLine(line) }
            }
            try sink.flush()
        } catch LineSink.Failure.readerGone {}
        return needsAttention(findings)
    }
}
