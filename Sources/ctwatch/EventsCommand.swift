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

    @Option(help: ArgumentHelp("Event types to show, comma-separated.", valueName: "new,update,destroy"))
    var types = "new,update,destroy"

    @Option(help: "Exit after this many events are written.")
    var count: Int?

    @Option(help: ArgumentHelp("Exit after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @OptionGroup var buffer: BufferOptions

    @Flag(help: "Reliable delivery (NETLINK_BROADCAST_ERROR): the kernel retries events it could not deliver and holds back destroyed entries until their DESTROY is read; see README for the cost.")
    var reliable = false

    @Flag(name: .shortAndLong, help: "Say on stderr when subscribed, with the granted buffer size, and sum up at exit.")
    var verbose = false

    func validate() throws {
        _ = try eventTypes()
        if let count, count < 1 { throw ValidationError("invalid --count \(count): expected a positive number of events") }
        if let duration { try Seconds.check(duration, "--duration") }
    }

    func eventTypes() throws -> EventTypes {
        var result: EventTypes = []
        for name in types.split(separator: ",") {
            switch name.lowercased() {
            case "new": result.insert(.new)
            case "update": result.insert(.update)
            case "destroy": result.insert(.destroy)
            default: throw ValidationError("invalid --types \"\(name)\": expected new, update or destroy, comma-separated")
            }
        }
        if result.isEmpty { throw ValidationError("invalid --types \"\(types)\": name at least one of new, update, destroy") }
        return result
    }

    func run() async throws {
        var options = EventTail.Options()
        options.namespace = namespace.namespace
        options.subscription.types = try eventTypes()
        options.subscription.filter = try filters.makeFilter()
        options.subscription.bufferSize = buffer.bufferSize
        options.subscription.maxBufferSize = buffer.limit
        options.subscription.reliable = reliable
        options.format = output.format
        options.count = count
        options.duration = duration
        options.verbose = verbose
        _ = try await LongRunning.run("events") { [options] in try await EventTail.run(options, sink: .standardOutput()) }
    }
}
