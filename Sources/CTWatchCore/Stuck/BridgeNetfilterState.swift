import Conntrack

/// BridgeNetfilterState is whether bridged traffic passes iptables / ip6tables
/// (and so conntrack) in a namespace, per bridge: the kernel ORs the
/// namespace's bridge-nf-call sysctl with each bridge's own `nf_call_*` option.
///
/// A dictionary literal gives the sysctls alone (`[.ipv4: false]`), as for a
/// namespace without bridges.
public struct BridgeNetfilterState: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    /// The bridge-nf-call sysctls per family; absent: br_netfilter is not loaded.
    public var sysctls: [IPAddress.Family: Bool]
    /// The namespace's bridges, with their addresses and own options.
    public var bridges: [NetworkInterface]

    public init(sysctls: [IPAddress.Family: Bool], bridges: [NetworkInterface] = []) {
        self.sysctls = sysctls
        self.bridges = bridges.filter(\.isPodBridge)
    }

    public init(dictionaryLiteral elements: (IPAddress.Family, Bool)...) {
        self.init(sysctls: Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    /// The bridge whose address subnet holds `address` (where a pod with that address sits).
    public func bridge(holding address: IPAddress) -> NetworkInterface? {
        bridges.first { bridge in
            bridge.addresses.contains { $0.address.family == address.family && $0.subnet.contains(address) }
        }
    }

    /// Whether `bridge`'s traffic of `family` passes the tables: br_netfilter
    /// loaded, and its sysctl or the bridge's option on.
    public func isOn(_ family: IPAddress.Family, bridge: NetworkInterface) -> Bool {
        guard let sysctl = sysctls[family] else { return false }  // no br_netfilter hooks at all
        return sysctl || bridge.bridgeNetfilter?.calls(family) == true
    }

    /// Whether traffic of `family` from `source` passes the tables on its
    /// bridge. A source on no known bridge (a --cidr without a bridge address)
    /// counts as on when the sysctl is, or when every bridge's option is.
    public func isOn(_ family: IPAddress.Family, source: IPAddress) -> Bool {
        if let bridge = bridge(holding: source) { return isOn(family, bridge: bridge) }
        guard let sysctl = sysctls[family] else { return false }
        return sysctl || (!bridges.isEmpty && bridges.allSatisfy { isOn(family, bridge: $0) })
    }
}

/// TimeWindow is an interval in which something was seen to happen: after
/// one read and before the next.
public struct TimeWindow: Hashable, Sendable {
    public var after: WallTime
    public var before: WallTime
    public init(after: WallTime, before: WallTime) {
        self.after = after
        self.before = before
    }
}

extension BridgeNetfilterState {
    /// BridgeSwitch names one bridge's switch for one family.
    public struct BridgeSwitch: Hashable, Sendable {
        public var bridge: String
        public var family: IPAddress.Family
    }

    /// The bridges' switches that are on in `self` and were off in `earlier`.
    public func turnedOn(since earlier: BridgeNetfilterState) -> [BridgeSwitch] {
        var result: [BridgeSwitch] = []
        for bridge in bridges {
            for family in [IPAddress.Family.ipv4, .ipv6] where isOn(family, bridge: bridge) {
                let before = earlier.bridges.first { $0.name == bridge.name }.map { earlier.isOn(family, bridge: $0) }
                if before == false { result.append(BridgeSwitch(bridge: bridge.name, family: family)) }
            }
        }
        return result
    }
}
