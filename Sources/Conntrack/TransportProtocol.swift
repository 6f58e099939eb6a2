/// TransportProtocol is an IP protocol number (`CTA_PROTO_NUM`) with the
/// lowercase name `conntrack` and ECS `network.transport` use.
public struct TransportProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = TransportProtocol(rawValue: 1)
    public static let igmp = TransportProtocol(rawValue: 2)
    public static let tcp = TransportProtocol(rawValue: 6)
    public static let udp = TransportProtocol(rawValue: 17)
    public static let dccp = TransportProtocol(rawValue: 33)
    public static let gre = TransportProtocol(rawValue: 47)
    public static let icmpv6 = TransportProtocol(rawValue: 58)
    public static let sctp = TransportProtocol(rawValue: 132)
    public static let udplite = TransportProtocol(rawValue: 136)

    private static let known: [(UInt8, String)] = [
        (1, "icmp"), (2, "igmp"), (6, "tcp"), (17, "udp"), (33, "dccp"), (47, "gre"),
        (58, "ipv6-icmp"), (132, "sctp"), (136, "udplite"),
    ]

    /// The lowercase name (`ipv6-icmp` for 58, as IANA and ECS spell it); the number for others.
    public var description: String {
        if let name = staticName { return name.description }
        return String(rawValue)
    }

    /// The name of a known protocol as a literal (no allocation), nil for others.
    public var staticName: StaticString? {
        switch rawValue {
        case 1: "icmp"
        case 2: "igmp"
        case 6: "tcp"
        case 17: "udp"
        case 33: "dccp"
        case 47: "gre"
        case 58: "ipv6-icmp"
        case 132: "sctp"
        case 136: "udplite"
        default: nil
        }
    }

    /// Whether the protocol's tuple carries ports (TCP, UDP, SCTP, DCCP, UDP-Lite).
    public var hasPorts: Bool {
        switch rawValue {
        case 6, 17, 33, 132, 136: true
        default: false
        }
    }

    /// Parses a name (`tcp`, `udp`, `icmp`, `icmpv6`/`ipv6-icmp`, `sctp`, ...) or a number.
    public init?(name: String) {
        let lower = name.lowercased()
        if lower == "icmpv6" || lower == "icmp6" { self = .icmpv6; return }
        if let entry = TransportProtocol.known.first(where: { $0.1 == lower }) { self.init(rawValue: entry.0); return }
        guard let number = UInt8(lower) else { return nil }
        self.init(rawValue: number)
    }
}
