import ArgumentParser
import CTWatchCore
import Conntrack

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Tail conntrack events live, like `conntrack -E`, as text or JSON lines.",
        discussion: """
            Lost events are never silent: a receive-buffer overrun prints a warning on stderr \
            (and an `events-lost` JSON line with --json) with the running count, and the tail goes on.
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var filters: FilterOptions
    @OptionGroup var output: OutputOptions

    @Option(
        help: ArgumentHelp(
            "Event types to show, comma-separated. (default: new,update,destroy)", valueName: "new,update,destroy"),
        transform: EventTypeList.parsed)
    var types = EventTypeList.all

    @Option(
        parsing: .unconditional, help: "Exit after this many events are written (a positive integer).",
        transform: Count.positive)
    var count: Int?

    @Option(
        parsing: .unconditional, help: ArgumentHelp("Exit after this many seconds.", valueName: "seconds"),
        transform: Seconds.positive)
    var duration: Double?

    @OptionGroup var buffer: BufferOptions

    @Flag(
        help:
            "Reliable delivery (NETLINK_BROADCAST_ERROR): the kernel retries events it could not deliver and holds back destroyed entries until their DESTROY is read; see README for the cost."
    )
    var reliable = false

    @Flag(name: .shortAndLong, help: "Say on stderr when subscribed, with the granted buffer size, and sum up at exit.")
    var verbose = false

    @OptionGroup(title: "Names from Kubernetes") var cluster: KubernetesOptions

    @OptionGroup(title: "Metrics") var metricsOptions: MetricsOptions

    func run() async throws {
        var options = EventTail.Options()
        options.namespace = namespace.namespace
        options.subscription.types = types.types
        options.subscription.filter = filters.makeFilter()
        options.subscription.bufferSize = buffer.bufferSize
        options.subscription.maxBufferSize = buffer.limit
        options.subscription.reliable = reliable
        options.format = output.format
        options.count = count
        options.duration = duration
        options.verbose = verbose
        try await ClusterSource.with(cluster) { source in
            // Not waited for: events are not held back; lines carry names once the API has answered.
            options.cluster = source
            let metrics = try await MetricsService.start(
                metricsOptions.address, namespace: namespace.namespace, cluster: source)
            options.metrics = metrics
            let tail = options
            _ = try await LongRunning.run("events", companion: metrics?.run) {
                try await EventTail.run(tail, sink: .standardOutput())
            }
        }
    }
}
