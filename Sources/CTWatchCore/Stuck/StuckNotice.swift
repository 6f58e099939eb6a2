import Conntrack

/// StuckNotice is something `stuck` has to tell its user besides the findings:
/// a default it chose or a wait it must make. The front end decides where it
/// goes (stderr for the command line).
public enum StuckNotice: Sendable, Hashable, CustomStringConvertible {
    /// No `--cidr` was given: these bridge subnets (`10.224.1.0/24 (cni0)`) were found.
    case discoveredSubnets(namespace: NetworkNamespace, subnets: [String])
    /// Some unreplied flows carry no kernel start time: they are watched for
    /// `minAge` seconds before they are reported.
    case observingAges(namespace: NetworkNamespace, minAge: Double)
    /// A watch saw bridge netfilter turned on for a bridge (the sysctl or the
    /// bridge's own option), for these families: stuck flows of that bridge
    /// begun before are left-overs.
    case bridgeNetfilterTurnedOn(bridge: String, families: [IPAddress.Family], window: TimeWindow)
    /// The neighbour table or the forwarding databases could not be read: no
    /// backend is judged gone, and a flow to one may be blamed on bridge netfilter.
    case neighboursUnreadable(namespace: NetworkNamespace, reason: String)
    /// kube-proxy's IPVS mode was seen: the scan looks at every entry, as with
    /// `--any-dnat`, and takes `kube-ipvs0`'s addresses as Service addresses.
    case ipvsMode(namespace: NetworkNamespace, mode: IPVSMode)

    public var description: String {
        switch self {
        case .discoveredSubnets(let namespace, let subnets):
            "using the bridge subnets of \(namespace): \(subnets.joined(separator: ", ")) (give --cidr to choose)"
        case .observingAges(let namespace, let minAge):
            "some unreplied flows in \(namespace) carry no kernel start time "
                + "(net.netfilter.nf_conntrack_timestamp=1 gives new entries one): watching them for "
                + "\(StuckScan.formatSeconds(minAge)) s (--min-age) before reporting them"
        case .bridgeNetfilterTurnedOn(let bridge, let families, let window):
            "bridge netfilter was turned on for \(bridge) "
                + "(\(families.map { BridgeNetfilter.sysctl($0) }.joined(separator: ", ")) or the bridge's own option) "
                + "between \(RFC3339.seconds(window.after)) and \(RFC3339.seconds(window.before)): new calls get "
                + "their replies; flows stuck from before stay until their timeouts and are reported as left-overs"
        case .neighboursUnreadable(let namespace, let reason):
            "cannot read the neighbour table of \(namespace) (\(reason)): gone backends are not recognised in this scan"
        case .ipvsMode(let namespace, let mode):
            "kube-proxy IPVS mode seen in \(namespace) (\(mode)): IPVS never sets the DST_NAT bit, so every entry "
                + "is checked, as with --any-dnat"
                + (mode.serviceAddresses?.isEmpty == false
                    ? ", and the addresses on \(NetworkInterface.ipvsServiceInterfaceName) count as Service addresses"
                    : "")
        }
    }
}
