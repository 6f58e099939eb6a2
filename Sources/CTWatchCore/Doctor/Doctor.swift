import Conntrack

/// Doctor is `ctwatch doctor`: checks the inspected namespace's conntrack
/// and bridge settings and explains each finding with its fix. Read-only.
public enum Doctor {
    public enum Severity: String, Sendable, Comparable {
        case ok, info, warn, error
        var rank: Int { [.ok: 0, .info: 1, .warn: 2, .error: 3][self] ?? 0 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        var logLevel: StaticString {
            switch self {
            case .ok, .info: "info"
            case .warn: "warn"
            case .error: "error"
            }
        }
    }

    /// Finding is one check's result.
    public struct Finding: Sendable, Hashable {
        /// The setting or counter checked (`net.bridge.bridge-nf-call-iptables`, `cni0 nf_call_iptables`, `insert_failed`, ...).
        public var check: String
        public var severity: Severity
        /// What was read, as text (`0`, `12034/262144`).
        public var value: String
        public var explanation: String
        public var fix: String?
    }

    /// What Doctor reads, gathered first so the checks are plain functions of it.
    public struct Inputs: Sendable {
        public var sysctls: [String: String]
        public var statistics: TableStatistics
        public var bridges: [NetworkInterface]
        /// The bridges' ports (a pod's veth is one), with their hairpin mode.
        public var ports: [NetworkInterface]
        public var namespace: NetworkNamespace
        /// What shows kube-proxy's mode in the namespace.
        public var proxyMode: ProxyModeEvidence
        public init(
            sysctls: [String: String], statistics: TableStatistics, bridges: [NetworkInterface],
            ports: [NetworkInterface] = [], namespace: NetworkNamespace, proxyMode: ProxyModeEvidence = .init()
        ) {
            self.sysctls = sysctls
            self.statistics = statistics
            self.bridges = bridges
            self.ports = ports
            self.namespace = namespace
            self.proxyMode = proxyMode
        }
    }

    /// ProxyModeEvidence is what shows kube-proxy's mode: its iptables chains
    /// (`KUBE-SERVICES` in a `nat` table, as iptables-nft keeps them in
    /// nf_tables), its nftables tables (`kube-proxy`), and IPVS (`kube-ipvs0`,
    /// `/proc/net/ip_vs`). kube-proxy's IPVS mode writes iptables chains too.
    public struct ProxyModeEvidence: Sendable, Hashable {
        /// The nat tables holding a `KUBE-SERVICES` chain (`ip nat`, `ip6 nat`).
        public var iptables: [String]
        /// The `kube-proxy` tables (`ip kube-proxy`, `ip6 kube-proxy`, `inet kube-proxy`).
        public var nftables: [String]
        public var ipvs: IPVSMode?
        /// Why the nf_tables chains could not be read, when they could not.
        public var chainsUnreadable: String?

        public init(
            iptables: [String] = [], nftables: [String] = [], ipvs: IPVSMode? = nil, chainsUnreadable: String? = nil
        ) {
            self.iptables = iptables
            self.nftables = nftables
            self.ipvs = ipvs
            self.chainsUnreadable = chainsUnreadable
        }

        /// The evidence in `chains` and `ipvs`.
        public init(chains: [NFTablesChain], ipvs: IPVSMode?) {
            var iptables: [String] = []
            var nftables: [String] = []
            for chain in chains {
                let table = "\(chain.family) \(chain.table)"
                if chain.table == "nat" && chain.name == "KUBE-SERVICES"
                    && (chain.family == .ip || chain.family == .ip6)
                    && !iptables.contains(table)
                {
                    iptables.append(table)
                }
                if chain.table == "kube-proxy" && [.ip, .ip6, .inet].contains(chain.family) && !nftables.contains(table)
                {
                    nftables.append(table)
                }
            }
            self.init(iptables: iptables, nftables: nftables, ipvs: ipvs)
        }
    }

    static let sysctlNames =
        BridgeNetfilter.sysctls + [
            "net.netfilter.nf_conntrack_events", "net.netfilter.nf_conntrack_timestamp",
            "net.netfilter.nf_conntrack_max", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding",
            ipvsConntrackSysctl,
        ]

    /// IPVS keeps conntrack entries for its connections only when this is 1.
    static let ipvsConntrackSysctl = "net.ipv4.vs.conntrack"

    public static func gather(namespace: NetworkNamespace) throws -> Inputs {
        let conntrack = try Conntrack(namespace: namespace)
        let interfaces = try conntrack.interfaces()
        let bridges = interfaces.filter(\.isPodBridge)
        let ipvs = try IPVSMode.detect(conntrack, interfaces: interfaces)
        var proxyMode: ProxyModeEvidence
        do {
            proxyMode = ProxyModeEvidence(chains: try conntrack.nftablesChains(), ipvs: ipvs)
        } catch {
            proxyMode = ProxyModeEvidence(ipvs: ipvs, chainsUnreadable: "\(error)")
        }
        return Inputs(
            sysctls: try conntrack.sysctls(sysctlNames), statistics: try conntrack.statistics(), bridges: bridges,
            ports: interfaces.filter { port in bridges.contains { $0.index == port.master } }, namespace: namespace,
            proxyMode: proxyMode)
    }

    /// kube-proxy's mode as seen, and for IPVS whether its connections leave
    /// conntrack entries at all (`net.ipv4.vs.conntrack`).
    static func proxyModeFindings(_ inputs: Inputs) -> [Finding] {
        let evidence = inputs.proxyMode
        var seen: [String] = []
        if let ipvs = evidence.ipvs { seen.append("ipvs (\(ipvs))") }
        if !evidence.nftables.isEmpty { seen.append("nftables (\(evidence.nftables.joined(separator: ", ")))") }
        if !evidence.iptables.isEmpty {
            seen.append("iptables (KUBE-SERVICES in \(evidence.iptables.joined(separator: ", ")))")
        }
        var findings: [Finding] = []
        let check = "kube-proxy mode"
        if seen.isEmpty {
            findings.append(
                Finding(
                    check: check, severity: .info, value: "none seen",
                    explanation:
                        "No kube-proxy rules in nf_tables (no KUBE-SERVICES chain in a nat table, no kube-proxy table), no kube-ipvs0, no /proc/net/ip_vs"
                        + (evidence.chainsUnreadable.map { " (the nf_tables chains could not be read: \($0))" } ?? "")
                        + ": iptables-legacy chains are not visible this way, and a proxy that is not kube-proxy "
                        + "may NAT without the DST_NAT bit (stuck --any-dnat finds those flows).",
                    fix: nil))
        } else if evidence.ipvs != nil {
            findings.append(
                Finding(
                    check: check, severity: .info, value: seen.joined(separator: "; "),
                    explanation:
                        "IPVS rewrites a connection's reply tuple itself and never sets the DST_NAT status bit: "
                        + "ctwatch stuck checks every entry (as with --any-dnat) and takes the addresses on "
                        + "kube-ipvs0 as Service addresses.",
                    fix: nil))
        } else {
            findings.append(
                Finding(
                    check: check, severity: .ok, value: seen.joined(separator: "; "),
                    explanation:
                        "nf_nat DNATs Service calls and sets the DST_NAT status bit: ctwatch stuck asks the kernel for those entries only.",
                    fix: nil))
        }
        guard evidence.ipvs != nil else { return findings }
        let name = ipvsConntrackSysctl
        switch inputs.sysctls[name] {
        case nil:
            findings.append(
                Finding(
                    check: name, severity: .warn, value: "absent",
                    explanation:
                        "kube-ipvs0 is there but the ip_vs module is not loaded in this kernel: IPVS cannot balance Service calls here.",
                    fix:
                        "modprobe ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh (persist them in /etc/modules-load.d), then restart kube-proxy"
                ))
        case "0":
            findings.append(
                Finding(
                    check: name, severity: .error, value: "0",
                    explanation:
                        "IPVS connections leave no conntrack entries, so ctwatch cannot see them: stuck, events and list show nothing of them (and iptables rules that match on conntrack state, such as kube-proxy's masquerading, miss them). kube-proxy sets this to 1 in IPVS mode; something reset it.",
                    fix:
                        "sysctl -w net.ipv4.vs.conntrack=1, then find what reset it (a sysctl.d file, a tuning agent) or restart kube-proxy, which sets it again"
                ))
        case let value?:
            findings.append(
                Finding(
                    check: name, severity: .ok, value: value,
                    explanation: "IPVS connections keep conntrack entries: ctwatch sees them.", fix: nil))
        }
        return findings
    }

    /// Every check, in a fixed order.
    public static func check(_ inputs: Inputs) -> [Finding] {
        var findings: [Finding] = []
        let hasBridges = !inputs.bridges.isEmpty
        for (ipFamily, tables, family) in [(IPAddress.Family.ipv4, "iptables", "IPv4"), (.ipv6, "ip6tables", "IPv6")] {
            let name = BridgeNetfilter.sysctl(ipFamily)
            guard let value = inputs.sysctls[name] else {
                findings.append(
                    Finding(
                        check: name, severity: hasBridges ? .warn : .info, value: "absent",
                        explanation:
                            "br_netfilter is not loaded in \(inputs.namespace): bridged \(family) traffic skips \(tables) and conntrack, so a Service reply between pods on one bridge is never un-DNAT'ed.",
                        fix:
                            "modprobe br_netfilter; sysctl -w \(name)=1 (persist both in /etc/modules-load.d and /etc/sysctl.d)"
                    ))
                continue
            }
            if value == "0" {
                findings += bridgeOptionFindings(inputs, family: ipFamily)
            } else {
                findings.append(
                    Finding(
                        check: name, severity: .ok, value: value,
                        explanation: "Bridged \(family) traffic passes \(tables) and conntrack.", fix: nil))
            }
        }
        findings += hairpinFindings(inputs)
        if let events = inputs.sysctls["net.netfilter.nf_conntrack_events"] {
            switch events {
            case "0":
                findings.append(
                    Finding(
                        check: "net.netfilter.nf_conntrack_events", severity: .warn, value: events,
                        explanation: "Conntrack events are off: ctwatch events and stuck --watch see nothing new.",
                        fix: "sysctl -w net.netfilter.nf_conntrack_events=2"))
            case "2":
                findings.append(
                    Finding(
                        check: "net.netfilter.nf_conntrack_events", severity: .info, value: events,
                        explanation:
                            "Events are sent only for entries created while a listener exists: entries older than the listener never report updates or their end, so stuck --watch re-dumps the table periodically.",
                        fix: nil))
            default:
                findings.append(
                    Finding(
                        check: "net.netfilter.nf_conntrack_events", severity: .ok, value: events,
                        explanation: "Every entry sends events.", fix: nil))
            }
        }
        if let stamp = inputs.sysctls["net.netfilter.nf_conntrack_timestamp"] {
            findings.append(
                stamp == "1"
                    ? Finding(
                        check: "net.netfilter.nf_conntrack_timestamp", severity: .ok, value: stamp,
                        explanation: "Entries carry their start time: stuck knows each flow's age at once.", fix: nil)
                    : Finding(
                        check: "net.netfilter.nf_conntrack_timestamp", severity: .info, value: stamp,
                        explanation:
                            "Entries carry no start time, so stuck must watch a flow for --min-age before reporting it (ctwatch never changes this itself).",
                        fix: "sysctl -w net.netfilter.nf_conntrack_timestamp=1 (applies to entries created afterwards)")
            )
        }
        let stats = inputs.statistics
        if let maxEntries = stats.maxEntries, let ratio = stats.fill {
            let value = "\(stats.entries)/\(maxEntries)"
            let severity: Severity = ratio >= 0.9 ? .error : ratio >= 0.75 ? .warn : .ok
            findings.append(
                Finding(
                    check: "entries", severity: severity, value: value,
                    explanation: severity == .ok
                        ? "The table is \(Int(ratio * 100))% full."
                        : "The table is \(Int(ratio * 100))% full: when it fills, new connections are dropped (\"nf_conntrack: table full, dropping packet\").",
                    fix: severity == .ok
                        ? nil
                        : "raise net.netfilter.nf_conntrack_max (and nf_conntrack_buckets), or find what opens so many connections (ctwatch list)"
                ))
        }
        let total = stats.total
        let insertFailed = total.insertFailed
        let drop = total.drop
        let earlyDrop = total.earlyDrop
        findings.append(
            insertFailed > 0
                ? Finding(
                    check: "insert_failed", severity: .warn, value: String(insertFailed),
                    explanation:
                        "Packets lost to insert races: two packets of one new flow (typically a DNS client's parallel A and AAAA queries from one UDP socket through a DNAT) raced to create the same entry, one was dropped, and the client waits 5 seconds to retry: the five-second DNS delay.",
                    fix:
                        "use `options single-request-reopen` (glibc) or `use-vc` in pods' resolv.conf, run NodeLocal DNSCache, or upgrade to a kernel that resolves the clash (5.0+ for UDP)"
                )
                : Finding(check: "insert_failed", severity: .ok, value: "0", explanation: "No insert races.", fix: nil))
        let drops = drop + earlyDrop
        findings.append(
            drops > 0
                ? Finding(
                    check: "drop", severity: .warn, value: "drop=\(drop) early_drop=\(earlyDrop)",
                    explanation: "Conntrack dropped packets or evicted entries because the table was full.",
                    fix: "raise net.netfilter.nf_conntrack_max, or shorten the timeouts of the flows that fill it")
                : Finding(
                    check: "drop", severity: .ok, value: "drop=0 early_drop=0",
                    explanation: "No drops for a full table.", fix: nil))
        let bridgeHasIPv6 = inputs.bridges.contains {
            $0.addresses.contains { $0.address.family == .ipv6 && !StuckScan.isLinkLocal($0.address) }
        }
        if let forward = inputs.sysctls["net.ipv6.conf.all.forwarding"], bridgeHasIPv6 || forward == "1" {
            findings.append(
                forward == "1"
                    ? Finding(
                        check: "net.ipv6.conf.all.forwarding", severity: .ok, value: forward,
                        explanation: "The node routes IPv6.", fix: nil)
                    : Finding(
                        check: "net.ipv6.conf.all.forwarding", severity: .error, value: forward,
                        explanation:
                            "A bridge has IPv6 addresses but the node does not route IPv6: pods cannot reach IPv6 Services.",
                        fix: "sysctl -w net.ipv6.conf.all.forwarding=1"))
        }
        if let forward = inputs.sysctls["net.ipv4.ip_forward"] {
            findings.append(
                forward == "1"
                    ? Finding(
                        check: "net.ipv4.ip_forward", severity: .ok, value: forward,
                        explanation: "The node routes IPv4.", fix: nil)
                    : Finding(
                        check: "net.ipv4.ip_forward", severity: hasBridges ? .error : .info, value: forward,
                        explanation: "The node does not route IPv4: pods cannot reach Services or other nodes.",
                        fix: "sysctl -w net.ipv4.ip_forward=1"))
        }
        return findings + proxyModeFindings(inputs)
    }

    /// With the sysctl at 0, what each bridge's own option decides (the kernel
    /// ORs the two): the sysctl's line, an error only when a bridge is left
    /// off, then one line per bridge.
    static func bridgeOptionFindings(_ inputs: Inputs, family ipFamily: IPAddress.Family) -> [Finding] {
        let name = BridgeNetfilter.sysctl(ipFamily)
        let (tables, family) = ipFamily == .ipv4 ? ("iptables", "IPv4") : ("ip6tables", "IPv6")
        let option = BridgeNetfilter.option(ipFamily)
        let off = inputs.bridges.filter { $0.bridgeNetfilter?.calls(ipFamily) != true }
        let names = { (bridges: [NetworkInterface]) in bridges.map(\.name).joined(separator: ", ") }
        var findings: [Finding] = []
        if inputs.bridges.isEmpty {
            findings.append(
                Finding(
                    check: name, severity: .warn, value: "0",
                    explanation:
                        "Bridged \(family) traffic skips \(tables) and conntrack: a pod calling a Service whose backend is on the same bridge gets the reply from the backend's own address and rejects it (a TCP reset, an ICMP port unreachable for UDP), and the call hangs (ctwatch stuck shows these flows).",
                    fix: BridgeNetfilter.fix(ipFamily)))
            return findings
        }
        if off.isEmpty {
            findings.append(
                Finding(
                    check: name, severity: .info, value: "0",
                    explanation:
                        "The sysctl is 0, but every bridge's own \(option) option is on (\(names(inputs.bridges))), so their \(family) traffic passes \(tables) and conntrack; a bridge created without the option would not.",
                    fix: nil))
        } else {
            findings.append(
                Finding(
                    check: name, severity: .error, value: "0",
                    explanation:
                        "Bridged \(family) traffic skips \(tables) and conntrack on \(names(off)) (neither this sysctl nor the bridge's own \(option) option is on): a pod calling a Service whose backend is on the same bridge gets the reply from the backend's own address and rejects it (a TCP reset, an ICMP port unreachable for UDP), and the call hangs (ctwatch stuck shows these flows).",
                    fix: BridgeNetfilter.fix(ipFamily)))
        }
        for bridge in inputs.bridges {
            let own = bridge.bridgeNetfilter.map { $0.calls(ipFamily) ? "1" : "0" } ?? "absent"
            let on = own == "1"
            findings.append(
                Finding(
                    check: "\(bridge.name) \(option)", severity: on ? .ok : .error,
                    value: "\(on ? "on" : "off") (sysctl 0, bridge option \(own))",
                    explanation: on
                        ? "\(bridge.name)'s own \(option) option is on: its \(family) traffic passes \(tables) and conntrack."
                        : "Neither \(name) nor \(bridge.name)'s own \(option) option is on: \(family) traffic between pods on \(bridge.name) skips \(tables) and conntrack, so Service calls to a backend on it hang.",
                    fix: on ? nil : BridgeNetfilter.fix(ipFamily, bridge: bridge.name)))
        }
        return findings
    }

    /// Where bridge netfilter is on for a bridge, whether its ports let a pod
    /// call its own Service: the DNAT'ed frame is bridged back out of the port
    /// it came in on, which the bridge does only with hairpin mode on. Where
    /// it is off, the call is routed and the port's mode is never consulted.
    static func hairpinFindings(_ inputs: Inputs) -> [Finding] {
        let state = BridgeNetfilterState(sysctls: StuckScan.sysctls(inputs.sysctls), bridges: inputs.bridges)
        var findings: [Finding] = []
        for bridge in inputs.bridges where state.isOn(.ipv4, bridge: bridge) || state.isOn(.ipv6, bridge: bridge) {
            let ports = inputs.ports.filter { $0.master == bridge.index && $0.bridgePort != nil }
            guard !ports.isEmpty else { continue }
            let off = ports.filter { $0.bridgePort?.hairpin == false }
            let check = "\(bridge.name) hairpin"
            if off.isEmpty {
                findings.append(
                    Finding(
                        check: check, severity: .ok, value: "on (\(ports.count) of \(ports.count) ports)",
                        explanation: "Every port of \(bridge.name) lets a pod call its own Service.", fix: nil))
                continue
            }
            let shown = off.prefix(8).map(\.name).joined(separator: ", ") + (off.count > 8 ? ", ..." : "")
            findings.append(
                Finding(
                    check: check, severity: .warn, value: "off on \(off.count) of \(ports.count) ports (\(shown))",
                    explanation:
                        "Bridge netfilter is on for \(bridge.name), so a pod calling its own Service is DNAT'ed back to "
                        + "itself at the bridge and the frame must leave by the port it came in on: without hairpin "
                        + "mode on that port the bridge drops it before conntrack keeps the entry. The call hangs and "
                        + "leaves no conntrack entry, so ctwatch stuck cannot show it."
                        + (bridge.promiscuous
                            ? " \(bridge.name) is promiscuous (kubelet's promiscuous-bridge hairpin mode), which does "
                                + "not let the frame back out of its port while bridge netfilter is on: only the "
                                + "port's hairpin mode does." : ""),
                    fix:
                        "ip link set \(off[0].name) type bridge_slave hairpin on (for each port listed); for new pods: "
                        + "hairpinMode: true in the CNI bridge plugin's config, or kubelet --hairpin-mode=hairpin-veth")
            )
        }
        return findings
    }

    /// Whether a finding needs attention (it warns or fails): `doctor` then exits 1.
    public static func needsAttention(_ findings: [Finding]) -> Bool {
        findings.contains { $0.severity >= .warn }
    }

    /// Text: one line per check, with the explanation and fix under the ones that need attention.
    public static func textLines(_ findings: [Finding], namespace: NetworkNamespace) -> [String] {
        var lines = ["ctwatch doctor: \(namespace)"]
        let width = findings.map(\.check.count).max() ?? 0
        for finding in findings {
            let tag = "[\(finding.severity.rawValue)]"
            let check = finding.check
            lines.append(
                tag + String(repeating: " ", count: max(0, 7 - tag.count)) + " " + check
                    + String(repeating: " ", count: width - check.count) + "  " + finding.value)
            if finding.severity != .ok {
                lines.append("        " + finding.explanation)
                if let fix = finding.fix { lines.append("        fix: " + fix) }
            }
        }
        return lines
    }

    /// One `ctwatch.doctor` JSON line per finding.
    public static func appendJSON(
        _ finding: Finding, time: WallTime, namespace: NetworkNamespace, into json: inout JSONWriter<some ByteOutput>
    ) {
        json.beginObject()
        FlowFormatter.writeHeader(
            &json, timestamp: time, level: finding.severity.logLevel,
            message: "\(finding.check) = \(finding.value): \(finding.severity.rawValue)")
        json.beginObject("event")
        json.field("kind", "state" as StaticString)
        json.field("action", "doctor-check" as StaticString)
        json.field("dataset", "ctwatch.doctor" as StaticString)
        json.field(
            "outcome", finding.severity == .ok || finding.severity == .info ? "success" as StaticString : "failure")
        json.endObject()
        json.beginObject("ctwatch")
        json.beginObject("check")
        json.field("name", finding.check)
        json.field("severity", finding.severity.rawValue)
        json.field("value", finding.value)
        json.field("explanation", finding.explanation)
        if let fix = finding.fix { json.field("fix", fix) }
        json.field("netns", String(describing: namespace.filePath ?? "current"))
        json.endObject()
        json.endObject()
        json.endObject()
        json.newline()
    }
}
