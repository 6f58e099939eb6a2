import Conntrack

/// Diagnosis is why a flow is stuck, when it can be known, and what to do.
public struct Diagnosis: Hashable, Sendable {
    /// A stable code: `bridge-nf-call-iptables-disabled`, `bridge-nf-call-ip6tables-disabled`, `hairpin`, `unknown`.
    public var code: String
    public var explanation: String
    /// The fix, nil when the cause is unknown.
    public var fix: String?

    /// `bridge` is the bridge the client sits on, when known, with its own
    /// option; `loaded` is false when br_netfilter is not (the sysctl is
    /// absent, and no bridge option has any effect).
    public static func bridgeNetfilterDisabled(
        family: IPAddress.Family, transport: TransportProtocol, namespace: NetworkNamespace,
        bridge: (name: String, option: Bool)? = nil,
        loaded: Bool = true
    ) -> Diagnosis {
        let sysctl = BridgeNetfilter.sysctl(family)
        let tables = family == .ipv4 ? "iptables" : "ip6tables"
        var switches = loaded ? "\(sysctl) is 0 in \(namespace)" : "br_netfilter is not loaded in \(namespace)"
        if let bridge {
            let option = BridgeNetfilter.option(family)
            switches +=
                bridge.option
                ? " (\(bridge.name)'s own \(option) option is 1, but does nothing without it)"
                : " and \(bridge.name)'s own \(option) option is 0"
        }
        return Diagnosis(
            code: family == .ipv4 ? "bridge-nf-call-iptables-disabled" : "bridge-nf-call-ip6tables-disabled",
            explanation:
                "\(switches), so the backend's reply is switched at layer 2 on the bridge, "
                + "never passes \(tables) and conntrack, is not un-DNAT'ed, and \(refusal(transport)).",
            fix: (loaded ? "" : "modprobe br_netfilter; ")
                + BridgeNetfilter.fix(family, bridge: bridge?.option == false ? bridge?.name : nil))
    }

    /// `refusal` is how the client's kernel answers a reply from an address
    /// it never called, per protocol: no socket is connected to that address.
    static func refusal(_ transport: TransportProtocol) -> String {
        switch transport {
        case .tcp: "the client resets an answer from an address it never called"
        case .udp: "the client answers a reply from an address it never called with ICMP port unreachable"
        case .sctp: "the client aborts (SCTP ABORT) an answer from an address it never called"
        default: "the client drops an answer from an address it never called"
        }
    }

    public static let hairpin = Diagnosis(
        code: "hairpin",
        explanation: "The pod called its own Service and was DNAT'ed back to itself: without hairpin mode on its "
            + "bridge port and masquerading of hairpin traffic, the reply stays inside the pod and never reaches "
            + "conntrack to be un-DNAT'ed.",
        fix: "enable hairpin mode on the pod's bridge port (kubelet --hairpin-mode=hairpin-veth, or hairpinMode: true "
            + "in the CNI bridge plugin's config) and let kube-proxy masquerade hairpin traffic (its KUBE-MARK-MASQ rules)"
    )

    public static let unknown = Diagnosis(
        code: "unknown",
        explanation: "The reply never reached conntrack on this node, and the cause is unknown: bridge-nf-call is on "
            + "and the flow is not a hairpin. Check that the backend answers, NetworkPolicies, and the reply's path.",
        fix: nil)
}

/// BridgeNetfilter names the bridge-nf-call sysctls and their fix, for stuck's
/// diagnosis and doctor alike.
public enum BridgeNetfilter {
    public static func sysctl(_ family: IPAddress.Family) -> String {
        family == .ipv4 ? "net.bridge.bridge-nf-call-iptables" : "net.bridge.bridge-nf-call-ip6tables"
    }

    public static let sysctls = [sysctl(.ipv4), sysctl(.ipv6)]

    /// `sysctl -w ...=1`, and how to keep it across reboots; with a bridge,
    /// its own option as the narrower alternative.
    public static func fix(_ family: IPAddress.Family, bridge: String? = nil) -> String {
        let name = sysctl(family)
        let sysctlFix =
            "sysctl -w \(name)=1 (persist it: echo '\(name) = 1' > /etc/sysctl.d/99-bridge-nf.conf "
            + "and load br_netfilter at boot: echo br_netfilter > /etc/modules-load.d/br_netfilter.conf)"
        guard let bridge else { return sysctlFix }
        return sysctlFix + ", or for this bridge alone: ip link set \(bridge) type bridge \(option(family)) 1"
    }

    /// The bridge's own option: `nf_call_iptables`, `nf_call_ip6tables`.
    public static func option(_ family: IPAddress.Family) -> String {
        family == .ipv4 ? "nf_call_iptables" : "nf_call_ip6tables"
    }
}
