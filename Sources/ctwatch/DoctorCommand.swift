import ArgumentParser
import CTWatchCore
import Conntrack

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the namespace's conntrack and bridge settings, and explain each finding with its fix.",
        discussion: "Exit status: 0 when nothing needs attention, 1 when a check warns or fails, 2 on error. Read-only."
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let findings = Doctor.check(try Doctor.gather(namespace: namespace.namespace))
        let sink = LineSink.standardOutput()
        if output.json {
            let now = WallTime.now()
            var json = JSONWriter(output: sink.buffer)
            for finding in findings {
                Doctor.appendJSON(finding, time: now, namespace: namespace.namespace, into: &json)
            }
            try? sink.flush()
        } else {
            for line in Doctor.textLines(findings, namespace: namespace.namespace) { try? sink.appendLine(line) }
            try? sink.flush()
        }
        if findings.contains(where: { $0.severity >= .warn }) { throw ExitCode(ExitStatus.stuckFound) }
    }
}
