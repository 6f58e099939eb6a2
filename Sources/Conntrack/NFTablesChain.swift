/// NFTablesChain is a chain of the namespace's nf_tables rule set, by name:
/// what `nft list chains` shows. iptables 1.8's nft backend keeps its chains
/// there too (table `nat`, family `ip`, chain `KUBE-SERVICES`); chains of the
/// legacy iptables backend are not in it.
public struct NFTablesChain: Hashable, Sendable, CustomStringConvertible {
    /// Family is the table's family (NFPROTO_*).
    public struct Family: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// NFPROTO_INET
        public static let inet = Family(rawValue: 1)
        /// NFPROTO_IPV4
        public static let ip = Family(rawValue: 2)
        /// NFPROTO_ARP
        public static let arp = Family(rawValue: 3)
        /// NFPROTO_NETDEV
        public static let netdev = Family(rawValue: 5)
        /// NFPROTO_BRIDGE
        public static let bridge = Family(rawValue: 7)
        /// NFPROTO_IPV6
        public static let ip6 = Family(rawValue: 10)
        /// The name nft gives the family (`ip`, `ip6`, `inet`, ...).
        public var description: String {
            switch self {
            case .inet: "inet"
            case .ip: "ip"
            case .arp: "arp"
            case .netdev: "netdev"
            case .bridge: "bridge"
            case .ip6: "ip6"
            default: "family \(rawValue)"
            }
        }
    }

    public var family: Family
    public var table: String
    public var name: String

    public init(family: Family, table: String, name: String) {
        self.family = family
        self.table = table
        self.name = name
    }

    /// `ip nat KUBE-SERVICES`
    public var description: String { "\(family) \(table) \(name)" }
}
