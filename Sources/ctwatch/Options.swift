import ArgumentParser
import CTWatchCore
import Conntrack

/// Where to look: `--netns NAME|PATH`.
struct NamespaceOptions: ParsableArguments {
    @Option(name: .customLong("netns"), help: ArgumentHelp(
        "Network namespace to inspect: a name as `ip netns` uses it, or a path such as /proc/PID/ns/net.",
        valueName: "name|path"))
    var netns: String?

    var namespace: NetworkNamespace { netns.map(NetworkNamespace.init(argument:)) ?? .current }

    func validate() throws {
        // An empty value is most likely an unset shell variable: reading the
        // host's table instead would answer a question nobody asked.
        if netns?.isEmpty == true {
            throw ValidationError("--netns needs a namespace name (see `ip netns list`) or a path such as /proc/PID/ns/net")
        }
    }
}

/// Flow filters shared by `events` and `list`.
struct FilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only this address family.", valueName: "ipv4|ipv6"))
    var family: String?

    @Option(help: ArgumentHelp("Only these protocols, comma-separated (tcp, udp, icmp, icmpv6, sctp or a number).", valueName: "list"))
    var proto: String?

    @Option(help: ArgumentHelp("Original source inside this prefix (repeatable).", valueName: "cidr"))
    var src: [String] = []

    @Option(help: ArgumentHelp("Original destination inside this prefix (repeatable).", valueName: "cidr"))
    var dst: [String] = []

    @Option(help: ArgumentHelp("Only entries whose mark matches: VALUE or VALUE/MASK (decimal or 0x hex).", valueName: "mark"))
    var mark: String?

    @Flag(help: "Only DNAT'ed flows (DST_NAT, or original destination differs from reply source).")
    var dnat = false

    @Flag(help: "Only flows that saw no reply ([UNREPLIED]).")
    var unreplied = false

    func validate() throws {
        _ = try makeFilter()
    }

    func makeFilter() throws -> FlowFilter {
        var filter = FlowFilter()
        if let family {
            switch family.lowercased() {
            case "ipv4", "inet", "4": filter.family = .ipv4
            case "ipv6", "inet6", "6": filter.family = .ipv6
            default: throw ValidationError("invalid --family \"\(family)\": expected ipv4 or ipv6")
            }
        }
        if let proto {
            for name in proto.split(separator: ",") {
                guard let transport = TransportProtocol(name: String(name)) else {
                    throw ValidationError("invalid --proto \"\(name)\": expected tcp, udp, icmp, icmpv6, sctp, dccp, gre or a protocol number")
                }
                filter.transports.insert(transport)
            }
        }
        filter.sources = try src.map { try CIDR(parsing: $0) }
        filter.destinations = try dst.map { try CIDR(parsing: $0) }
        if let mark {
            guard let parsed = FilterOptions.parseMark(mark) else {
                throw ValidationError("invalid --mark \"\(mark)\": expected VALUE or VALUE/MASK, 32-bit, decimal or 0x hex (e.g. 0x4000/0x4000)")
            }
            filter.mark = parsed
        }
        filter.destinationNATed = dnat
        filter.unreplied = unreplied
        return filter
    }
}

extension FilterOptions {
    /// `VALUE` or `VALUE/MASK`; a missing mask means all 32 bits.
    static func parseMark(_ text: String) -> (value: UInt32, mask: UInt32)? {
        func number(_ part: Substring) -> UInt32? {
            let lower = part.lowercased()
            if lower.hasPrefix("0x") { return lower.count > 2 ? UInt32(lower.dropFirst(2), radix: 16) : nil }
            return part.allSatisfy(\.isASCII) ? UInt32(part) : nil
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let value = number(parts[0]) else { return nil }
        guard parts.count == 2 else { return (value, .max) }
        guard let mask = number(parts[1]) else { return nil }
        return (value & mask, mask)
    }
}

/// The event socket's receive buffer: `events` and `stuck --watch`.
struct BufferOptions: ParsableArguments {
    @Option(name: .customLong("buffer-size"), help: ArgumentHelp(
        "Event socket receive buffer to ask for (SO_RCVBUFFORCE; SO_RCVBUF and a warning when refused).", valueName: "bytes"))
    var bufferSize: Int = 64 << 20

    @Option(name: .customLong("max-buffer-size"), help: ArgumentHelp(
        "Limit the receive buffer may grow to after an overrun.", valueName: "bytes"))
    var maxBufferSize: Int = 512 << 20

    func validate() throws {
        if bufferSize < 4096 { throw ValidationError("invalid --buffer-size \(bufferSize): expected at least 4096 bytes") }
    }

    /// The growth limit, never below the start size.
    var limit: Int { max(bufferSize, maxBufferSize) }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Write JSON lines (NDJSON, ECS field names) instead of text.")
    var json = false

    var format: OutputFormat { json ? .json : .text }
}

/// Seconds checks a time option: a finite number of seconds, at most about 31 years.
enum Seconds {
    static let limit = 1e9

    static func check(_ value: Double, _ option: String, allowZero: Bool = false) throws {
        let low = allowZero ? value >= 0 : value > 0
        guard value.isFinite, low, value <= limit else {
            throw ValidationError(
                "invalid \(option) \(value): expected \(allowZero ? "0 or more" : "a positive number of") seconds, at most \(Int(limit))")
        }
    }
}
