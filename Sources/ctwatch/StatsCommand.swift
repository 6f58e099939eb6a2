import ArgumentParser
import CTWatchCore
import Conntrack

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show conntrack's per-CPU counters and their change every --interval, like `conntrack -S`.",
        discussion: """
            The first sample shows the counters since they started; each next one their change. INSERT_FAILED \
            (an insert race lost, its packet dropped) and CLASH_RESOLVE (a race the kernel resolved) come first: \
            a rising INSERT_FAILED is the five-second DNS delay. Also the namespace's entry count and \
            nf_conntrack_max. Runs until --count samples, SIGINT or SIGTERM (exit 0). Read-only.
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var output: OutputOptions

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Seconds between samples. (default: 1)", valueName: "seconds"),
        transform: Seconds.positive)
    var interval: Double = 1

    @Option(
        parsing: .unconditional, help: "Exit after this many samples (a positive integer).",
        transform: Count.samples)
    var count: Int?

    func run() async throws {
        var options = StatisticsRun.Options()
        options.namespace = namespace.namespace
        options.format = output.format
        options.interval = interval
        options.count = count
        let run = options
        _ = try await LongRunning.run("stats") { try await StatisticsRun.run(run, sink: .standardOutput()) }
    }
}
