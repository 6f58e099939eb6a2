import ArgumentParser
import CTWatchCore

/// CTWatch is the root command: configuration and the list of subcommands.
struct CTWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctwatch",
        abstract: "Inspect the conntrack table of a Linux or Kubernetes node.",
        discussion: """
            Exit status: 0 on success (for `stuck`: nothing stuck), 1 when `stuck` found stuck \
            flows or `doctor` found something to fix, 0 when SIGTERM or SIGINT ends a long-running command, 2 on any error (bad input, no privilege, missing namespace).
            """,
        version: "0.1.0",
        subcommands: [EventsCommand.self, ListCommand.self, StuckCommand.self, DoctorCommand.self, StatsCommand.self]
    )
}

/// The entry point: parses, runs, and turns every error into one line on stderr.
@main
enum Main {
    static func main() async {
        StandardStreams.checkAtStart()
        // Before any output: a reader that leaves must give the sink EPIPE, not kill the process mid-line.
        Syscalls.ignoreBrokenPipeSignal()
        do {
            var command = try CTWatch.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Syscalls.exit(code.rawValue)
        } catch {
            let parserCode = CTWatch.exitCode(for: error)
            if parserCode == .success || error is CleanExit {
                CTWatch.exit(withError: error)
            }
            let message = UsageMessage.oneLine(CTWatch.message(for: error))
            let isUsage = parserCode == .validationFailure
            Diagnostics.line("error: " + message + (isUsage ? " (see ctwatch --help)" : ""))
            Syscalls.exit(ExitStatus.error)
        }
    }
}

/// The documented exit codes.
enum ExitStatus {
    static let ok: Int32 = 0
    /// `stuck` found stuck flows; `doctor` found something to fix.
    static let findings: Int32 = 1
    static let error: Int32 = 2
}
