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
        if try Doctor.run(namespace: namespace.namespace, format: output.format, sink: .standardOutput()) {
            throw ExitCode(ExitStatus.findings)
        }
    }
}
