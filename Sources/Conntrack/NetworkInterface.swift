/// InterfaceAddress is one address of an interface with its prefix length.
public struct InterfaceAddress: Hashable, Sendable {
    public var address: IPAddress
    public var prefixLength: Int
    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }
    /// The subnet the address lives in (`10.224.1.1/24` gives `10.224.1.0/24`).
    public var subnet: CIDR { CIDR(address: address, prefixLength: prefixLength) }
}

/// BridgeNetfilterOptions are a bridge's own `nf_call_iptables` and
/// `nf_call_ip6tables` options (IFLA_BR_NF_CALL_IPTABLES, IFLA_BR_NF_CALL_IP6TABLES):
/// the kernel passes the bridge's traffic through iptables / ip6tables when
/// the option or the namespace's bridge-nf-call sysctl is on.
public struct BridgeNetfilterOptions: Hashable, Sendable {
    public var callIPTables: Bool
    public var callIP6Tables: Bool
    public init(callIPTables: Bool, callIP6Tables: Bool) {
        self.callIPTables = callIPTables
        self.callIP6Tables = callIP6Tables
    }
    /// The option for `family`'s tables.
    public func calls(_ family: IPAddress.Family) -> Bool { family == .ipv4 ? callIPTables : callIP6Tables }
}

/// NetworkInterface is a link of the inspected namespace (RTM_NEWLINK) and its addresses.
public struct NetworkInterface: Hashable, Sendable {
    public var index: Int
    public var name: String
    /// IFLA_INFO_KIND: `bridge`, `veth`, `vxlan`, ... empty for plain devices.
    public var kind: String
    public var addresses: [InterfaceAddress]
    /// A bridge's own netfilter options; nil for other links, and for a bridge
    /// of a kernel built without bridge netfilter (it does not send them).
    public var bridgeNetfilter: BridgeNetfilterOptions?
    /// The interface this one is enslaved to (IFLA_MASTER): for a pod's veth, its bridge.
    public var master: Int?
    /// A bridge port's own options; nil for an interface that is no bridge port.
    public var bridgePort: BridgePortOptions?
    /// Whether the interface is in promiscuous mode (IFLA_PROMISCUITY above 0).
    public var promiscuous: Bool
    /// A bridge's forwarding-database ageing time (IFLA_BR_AGEING_TIME): how
    /// long it keeps a MAC that sends nothing; nil for other links.
    public var forwardingAgeingSeconds: Double?

    public init(
        index: Int, name: String, kind: String, addresses: [InterfaceAddress],
        bridgeNetfilter: BridgeNetfilterOptions? = nil, master: Int? = nil, bridgePort: BridgePortOptions? = nil,
        promiscuous: Bool = false, forwardingAgeingSeconds: Double? = nil
    ) {
        self.index = index
        self.name = name
        self.kind = kind
        self.addresses = addresses
        self.bridgeNetfilter = bridgeNetfilter
        self.master = master
        self.bridgePort = bridgePort
        self.promiscuous = promiscuous
        self.forwardingAgeingSeconds = forwardingAgeingSeconds
    }

    public var isBridge: Bool { kind == "bridge" }

    /// The name of kube-proxy's IPVS interface: a dummy link that holds every
    /// Service address of the node, so the kernel accepts packets to them.
    public static let ipvsServiceInterfaceName = "kube-ipvs0"

    /// Whether this is kube-proxy's IPVS interface (`kube-ipvs0`), whatever
    /// its kind: its addresses are Service addresses, not the node's own.
    public var isIPVSServiceInterface: Bool { name == Self.ipvsServiceInterfaceName }
}
