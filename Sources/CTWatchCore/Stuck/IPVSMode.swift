import Conntrack

/// IPVSMode is what shows kube-proxy's IPVS mode in a namespace: the
/// `kube-ipvs0` interface, which holds every Service address of the node, and
/// `/proc/net/ip_vs`, present where the ip_vs module is loaded. IPVS rewrites
/// an entry's reply tuple itself (`ip_vs_update_conntrack`) and never sets the
/// `DST_NAT` status bit, which only nf_nat sets: a scan that asks the kernel
/// for `DST_NAT` entries sees none of its flows.
public struct IPVSMode: Sendable, Hashable, CustomStringConvertible {
    /// The addresses on `kube-ipvs0`: Service addresses (ClusterIPs, external
    /// and load-balancer IPs); nil when the namespace has no `kube-ipvs0`.
    public var serviceAddresses: [IPAddress]?
    /// Whether `/proc/net/ip_vs` exists in the namespace.
    public var procNetIPVS: Bool

    public init(serviceAddresses: [IPAddress]?, procNetIPVS: Bool) {
        self.serviceAddresses = serviceAddresses
        self.procNetIPVS = procNetIPVS
    }

    /// What the namespace shows of IPVS, nil when nothing does. `interfaces`
    /// are the namespace's, read by the caller; `/proc/net/ip_vs` is read here.
    public static func detect(_ conntrack: Conntrack, interfaces: [NetworkInterface]) throws -> IPVSMode? {
        detect(interfaces: interfaces, procNetIPVS: try conntrack.procNetFile("ip_vs") != nil)
    }

    /// What `interfaces` and the presence of `/proc/net/ip_vs` show, nil when nothing.
    public static func detect(interfaces: [NetworkInterface], procNetIPVS: Bool) -> IPVSMode? {
        let link = interfaces.first(where: \.isIPVSServiceInterface)
        guard link != nil || procNetIPVS else { return nil }
        return IPVSMode(
            serviceAddresses: link.map { $0.addresses.map(\.address).filter { !StuckScan.isLinkLocal($0) } },
            procNetIPVS: procNetIPVS)
    }

    /// `kube-ipvs0 (2 Service addresses), /proc/net/ip_vs`: what was seen.
    public var description: String {
        var seen: [String] = []
        if let serviceAddresses {
            let count = serviceAddresses.count
            seen.append(
                "\(NetworkInterface.ipvsServiceInterfaceName) (\(count) Service address\(count == 1 ? "" : "es"))")
        }
        if procNetIPVS { seen.append("/proc/net/ip_vs") }
        return seen.joined(separator: ", ")
    }
}

extension NetworkInterface {
    /// Whether pods may sit on this link: a bridge, but not kube-proxy's
    /// `kube-ipvs0` (a dummy on a node; a stand-in of another kind in tests).
    var isPodBridge: Bool { isBridge && !isIPVSServiceInterface }
}
