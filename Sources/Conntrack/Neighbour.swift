/// LinkAddress is a link-layer address (a 6-byte Ethernet MAC on bridges and veths).
public struct LinkAddress: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// `02:42:0a:e0:01:38`.
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

/// Neighbour is one entry of the namespace's neighbour table (ARP for IPv4,
/// neighbour discovery for IPv6): what the node knows of a next hop's
/// link-layer address and whether it answers (RTM_NEWNEIGH).
public struct Neighbour: Hashable, Sendable {
    /// State is the kernel's NUD_* bits.
    public struct State: OptionSet, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// Asked, no answer yet.
        public static let incomplete = State(rawValue: 0x01)
        /// Confirmed recently (base_reachable_time, randomised around 30 s).
        public static let reachable = State(rawValue: 0x02)
        public static let stale = State(rawValue: 0x04)
        public static let delay = State(rawValue: 0x08)
        public static let probe = State(rawValue: 0x10)
        /// Asked, never answered: nothing holds the address on that link.
        public static let failed = State(rawValue: 0x20)
        public static let noARP = State(rawValue: 0x40)
        public static let permanent = State(rawValue: 0x80)

        /// `REACHABLE`, `FAILED`, ... as `ip neigh` prints them.
        public var description: String {
            let names: [(State, String)] = [
                (.incomplete, "INCOMPLETE"), (.reachable, "REACHABLE"), (.stale, "STALE"), (.delay, "DELAY"),
                (.probe, "PROBE"), (.failed, "FAILED"), (.noARP, "NOARP"), (.permanent, "PERMANENT"),
            ]
            let set = names.filter { contains($0.0) }.map(\.1)
            return set.isEmpty ? "NONE" : set.joined(separator: ",")
        }
    }

    public var address: IPAddress
    /// The interface the entry belongs to (for a pod on a bridge: the bridge).
    public var interfaceIndex: Int
    /// The link-layer address, nil while unresolved (INCOMPLETE, FAILED).
    public var linkAddress: LinkAddress?
    public var state: State
    /// Seconds since the entry last changed state (NDA_CACHEINFO's ndm_updated), when the kernel sent it.
    public var secondsSinceUpdate: Double?
    /// Seconds since the neighbour last proved it holds the address (an ARP or
    /// ND answer: NDA_CACHEINFO's ndm_confirmed), when the kernel sent it.
    public var secondsSinceConfirmed: Double?

    public init(
        address: IPAddress, interfaceIndex: Int, linkAddress: LinkAddress?, state: State,
        secondsSinceUpdate: Double? = nil, secondsSinceConfirmed: Double? = nil
    ) {
        self.address = address
        self.interfaceIndex = interfaceIndex
        self.linkAddress = linkAddress
        self.state = state
        self.secondsSinceUpdate = secondsSinceUpdate
        self.secondsSinceConfirmed = secondsSinceConfirmed
    }
}

/// BridgeForwardingEntry is one entry of a bridge's forwarding database
/// (`bridge fdb`, RTM_NEWNEIGH of family AF_BRIDGE): a MAC the bridge has
/// learned (or was given) behind one of its ports. When a port is deleted
/// (a pod's veth goes with its pod) its entries go at once.
public struct BridgeForwardingEntry: Hashable, Sendable {
    public var linkAddress: LinkAddress
    /// The port the address sits behind (ndm_ifindex).
    public var portIndex: Int
    /// The bridge (NDA_MASTER); nil for an entry of a device's own address list.
    public var bridgeIndex: Int?
    /// The VLAN (NDA_VLAN), when the entry has one.
    public var vlan: UInt16?
    /// The port's own address (a permanent "local" entry), not a learned one.
    public var isLocal: Bool

    public init(linkAddress: LinkAddress, portIndex: Int, bridgeIndex: Int?, vlan: UInt16? = nil, isLocal: Bool = false)
    {
        self.linkAddress = linkAddress
        self.portIndex = portIndex
        self.bridgeIndex = bridgeIndex
        self.vlan = vlan
        self.isLocal = isLocal
    }
}

/// BridgePortOptions are a bridge port's own settings (IFLA_INFO_SLAVE_DATA of kind `bridge`).
public struct BridgePortOptions: Hashable, Sendable {
    /// IFLA_BRPORT_MODE: whether a frame may leave by the port it came in on
    /// (needed when a pod calls its own Service with bridge netfilter on).
    public var hairpin: Bool
    public init(hairpin: Bool) { self.hairpin = hairpin }
}
