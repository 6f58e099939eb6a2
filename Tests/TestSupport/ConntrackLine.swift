/// ConntrackLine is one entry as `conntrack -L -o id` or `conntrack -E -o id`
/// (conntrack-tools 1.4.7) printed it, read by this parser alone, with no
/// ctwatch code: it is what a test holds ctwatch's output against.
///
/// Addresses stay the text conntrack printed (inet_ntop's form), so a
/// comparison with ctwatch's JSON is a comparison of two independent renderings.
public struct ConntrackLine: Sendable, Equatable, CustomStringConvertible {
    /// One direction: `src= dst= sport= dport=` or, for ICMP, `type= code= id=`, and counters.
    public struct Side: Sendable, Equatable {
        public var source = ""
        public var destination = ""
        public var sourcePort: UInt16?
        public var destinationPort: UInt16?
        public var icmpType: UInt8?
        public var icmpCode: UInt8?
        public var icmpID: UInt16?
        public var packets: UInt64?
        public var bytes: UInt64?
    }

    /// `NEW`, `UPDATE` or `DESTROY` for a `conntrack -E` line, nil for `-L`.
    public var event: String?
    /// conntrack's name: `tcp`, `udp`, `icmp`, `icmpv6`, or `unknown`.
    public var protocolName: String
    public var protocolNumber: UInt8
    public var timeout: UInt32?
    /// The TCP state (`SYN_SENT`), when printed.
    public var state: String?
    public var original = Side()
    public var reply = Side()
    public var unreplied = false
    public var assured = false
    public var mark: UInt32 = 0
    public var zone: UInt16 = 0
    /// `CTA_ID` (the trailing `id=`).
    public var id: UInt32?
    /// The line as given.
    public var text: String

    public var description: String { text }

    /// Whether the addresses are IPv6 (conntrack prints them with colons).
    public var isIPv6: Bool { original.source.contains(":") }

    /// The protocols whose tuples carry ports (TCP, UDP, DCCP, SCTP, UDP-Lite).
    public var hasPorts: Bool { [6, 17, 33, 132, 136].contains(protocolNumber) }

    /// Parses a line; a leading `[seconds.micros]\t` (`-o timestamp`) and the
    /// padding conntrack adds are skipped. nil when it is no entry (the summary line).
    public init?(_ line: String) {
        text = line
        var body = Substring(line)
        if body.hasPrefix("["), let tab = body.firstIndex(of: "\t") { body = body[body.index(after: tab)...] }
        var tokens = body.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)[...]
        if let first = tokens.first, first.hasPrefix("["), first.hasSuffix("]") {
            event = String(first.dropFirst().dropLast())
            tokens = tokens.dropFirst()
        }
        guard tokens.count >= 2, let number = UInt8(tokens[tokens.startIndex + 1]) else { return nil }
        protocolName = tokens.first!
        protocolNumber = number
        tokens = tokens.dropFirst(2)
        if let first = tokens.first, let timeout = UInt32(first) {
            self.timeout = timeout
            tokens = tokens.dropFirst()
        }
        if let first = tokens.first, !first.contains("="), !first.hasPrefix("[") {
            state = first
            tokens = tokens.dropFirst()
        }
        // 0: before the tuples, 1: original, 2: reply, 3: after the tuples.
        var part = 0
        func side(_ body: (inout Side) -> Void) {
            if part == 1 { body(&original) } else if part == 2 { body(&reply) }
        }
        for token in tokens {
            switch token {
            case "[UNREPLIED]":
                unreplied = true
                continue
            case "[ASSURED]":
                assured = true
                part = 3
                continue
            case "[USERSPACE]":
                part = 4
                continue
            default: break
            }
            guard part < 4, let equals = token.firstIndex(of: "=") else { continue }
            let key = token[..<equals]
            let value = String(token[token.index(after: equals)...])
            switch key {
            case "src":
                part = part == 0 ? 1 : 2
                side { $0.source = value }
            case "dst": side { $0.destination = value }
            case "sport": side { $0.sourcePort = UInt16(value) }
            case "dport": side { $0.destinationPort = UInt16(value) }
            case "type": side { $0.icmpType = UInt8(value) }
            case "code": side { $0.icmpCode = UInt8(value) }
            case "packets": side { $0.packets = UInt64(value) }
            case "bytes": side { $0.bytes = UInt64(value) }
            case "id":
                // In an ICMP tuple the first id= after code= is the ICMP id; any other is CTA_ID.
                if part == 1 && original.icmpType != nil && original.icmpID == nil {
                    original.icmpID = UInt16(value)
                } else if part == 2 && reply.icmpType != nil && reply.icmpID == nil {
                    reply.icmpID = UInt16(value)
                } else {
                    id = UInt32(value)
                    part = 3
                }
            case "mark":
                mark = UInt32(value) ?? 0
                part = 3
            case "zone":
                zone = UInt16(value) ?? 0
                part = 3
            default:
                if part == 2 { part = 3 }
            }
        }
        guard !original.source.isEmpty, !reply.source.isEmpty else { return nil }
    }

    /// The entries of a whole `conntrack -L` / `-E` output (its summary line left out).
    public static func entries(_ output: String) -> [ConntrackLine] {
        output.split(separator: "\n").compactMap { ConntrackLine(String($0)) }
    }
}
