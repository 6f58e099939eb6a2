import ArgumentParser
import CTWatchCore
import Conntrack

/// Where to look: `--netns NAME|PATH`.
struct NamespaceOptions: ParsableArguments {
    @Option(
        name: .customLong("netns"),
        help: ArgumentHelp(
            "Network namespace to inspect: a name as `ip netns` uses it, or a path such as /proc/PID/ns/net.",
            valueName: "name|path"))
    var netns: String?

    var namespace: NetworkNamespace { netns.map(NetworkNamespace.init(argument:)) ?? .current }

    func validate() throws {
        // An empty value is most likely an unset shell variable: reading the
        // host's table instead would answer a question nobody asked.
        if netns?.isEmpty == true {
            throw ValidationError(
                "--netns needs a namespace name (see `ip netns list`) or a path such as /proc/PID/ns/net")
        }
    }
}

/// Flow filters shared by `events` and `list`.
struct FilterOptions: ParsableArguments {
    @Option(
        name: .customLong("family"), help: ArgumentHelp("Only this address family.", valueName: "ipv4|ipv6"),
        transform: AddressFamilyArgument.parsed)
    var familyArgument: AddressFamilyArgument?

    @Option(
        name: .customLong("proto"),
        help: ArgumentHelp(
            "Only these protocols, comma-separated (tcp, udp, icmp, icmpv6, sctp or a number).", valueName: "list"),
        transform: ProtocolList.parsed)
    var protocols: ProtocolList?

    @Option(
        help: ArgumentHelp("Original source inside this prefix (repeatable).", valueName: "cidr"),
        transform: CIDRArgument.parsed)
    var src: [CIDR] = []

    @Option(
        help: ArgumentHelp("Original destination inside this prefix (repeatable).", valueName: "cidr"),
        transform: CIDRArgument.parsed)
    var dst: [CIDR] = []

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Only entries whose mark matches: VALUE or VALUE/MASK (decimal or 0x hex).", valueName: "mark"),
        transform: MarkMatch.parsed)
    var mark: MarkMatch?

    @Flag(help: "Only DNAT'ed flows (DST_NAT, or original destination differs from reply source).")
    var dnat = false

    @Flag(help: "Only flows that saw no reply ([UNREPLIED]).")
    var unreplied = false

    func validate() throws {
        guard let family = familyArgument?.family else { return }
        // The filters would be and-ed: such a command could never print a flow.
        for (option, ranges) in [("--src", src), ("--dst", dst)] {
            if let range = ranges.first(where: { $0.family != family }) {
                throw ValidationError(
                    "--family \(family == .ipv4 ? "ipv4" : "ipv6") and \(option) \(range) (\(range.family.displayName)) "
                        + "match no flow together: drop one, or give an \(family.displayName) prefix")
            }
        }
    }

    func makeFilter() -> FlowFilter {
        var filter = FlowFilter()
        filter.family = familyArgument?.family
        filter.transports = protocols?.protocols ?? []
        filter.sources = src
        filter.destinations = dst
        filter.mark = mark.map { ($0.value, $0.mask) }
        filter.destinationNATed = dnat
        filter.unreplied = unreplied
        return filter
    }
}

/// The event socket's receive buffer: `events` and `stuck --watch`.
struct BufferOptions: ParsableArguments {
    static let defaultSize = 64 << 20
    static let defaultLimit = 512 << 20

    @Option(
        name: .customLong("buffer-size"), parsing: .unconditional,
        help: ArgumentHelp(
            "Event socket receive buffer to ask for (SO_RCVBUFFORCE; SO_RCVBUF and a warning when refused), "
                + "4096 to 2147483647. (default: 64 MiB)", valueName: "bytes"),
        transform: ByteCount.bufferSize)
    var bufferSizeArgument: Int?

    @Option(
        name: .customLong("max-buffer-size"), parsing: .unconditional,
        help: ArgumentHelp(
            "Limit the receive buffer may grow to after an overrun, up to 2147483647. (default: 512 MiB)",
            valueName: "bytes"),
        transform: ByteCount.bufferSize)
    var maxBufferSizeArgument: Int?

    var bufferSize: Int { bufferSizeArgument ?? Self.defaultSize }
    var maxBufferSize: Int { maxBufferSizeArgument ?? Self.defaultLimit }

    /// Whether either size was given on the command line.
    var isGiven: Bool { bufferSizeArgument != nil || maxBufferSizeArgument != nil }

    /// The growth limit, never below the start size.
    var limit: Int { max(bufferSize, maxBufferSize) }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Write JSON lines (NDJSON, ECS field names) instead of text.")
    var json = false

    var format: OutputFormat { json ? .json : .text }
}
