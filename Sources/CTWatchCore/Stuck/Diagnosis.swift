import Conntrack

/// Diagnosis is why a flow is stuck, when it can be known, and what to do.
///
/// Its texts are fixed when it is made, with a hash of them: alerts look their
/// rendered diagnosis up per line, and hashing the explanation each time cost more than writing it.
public struct Diagnosis: Hashable, Sendable {
    /// A stable code: `backend-unreachable`, `hairpin`, `bridge-nf-call-iptables-disabled`,
    /// `bridge-nf-call-ip6tables-disabled`, `unknown`.
    public let code: String
    public let explanation: String
    /// The fix, nil when the cause is unknown.
    public let fix: String?
    private let fingerprint: Int

    public init(code: String, explanation: String, fix: String?) {
        self.code = code
        self.explanation = explanation
        self.fix = fix
        var hasher = Hasher()
        hasher.combine(code)
        hasher.combine(explanation)
        hasher.combine(fix)
        fingerprint = hasher.finalize()
    }

    public static func == (a: Diagnosis, b: Diagnosis) -> Bool {
        a.fingerprint == b.fingerprint && a.code == b.code && a.explanation == b.explanation && a.fix == b.fix
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }

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

    /// The pod called its own Service and was DNAT'ed back to itself without
    /// masquerade: the packet reaches it with its own address as source, and
    /// the pod's kernel drops it (a martian for IPv4). Nothing answers at all.
    public static let hairpin = Diagnosis(
        code: "hairpin",
        explanation: "The pod called its own Service and was DNAT'ed back to itself without masquerade: the packet "
            + "reaches it with its own address as the source, the pod's kernel drops it, and there is no reply at all.",
        fix: "let kube-proxy masquerade hairpin traffic (its KUBE-MARK-MASQ rule for an endpoint calling itself; "
            + "check --cluster-cidr / masquerade settings), and with bridge netfilter on, enable hairpin mode on the "
            + "pod's bridge port (CNI bridge plugin hairpinMode: true, or kubelet --hairpin-mode=hairpin-veth)"
    )

    /// The backend is gone: nothing holds its address on the bridge any more.
    /// `stale` for a flow that had replies (a client that keeps its source
    /// port keeps its entry, and the entry keeps the gone backend).
    public static func backendUnreachable(
        _ evidence: BackendEvidence, flow: Flow, stale: Bool, service: KubeObjectRef? = nil
    ) -> Diagnosis {
        let backend = evidence.backend
        let on = evidence.interface.map { " on \($0)" } ?? ""
        let ask = backend.family == .ipv4 ? "ARP" : "neighbour discovery"
        let why: String
        switch evidence.kind {
        case .failed:
            why = "no host answers \(ask) for \(backend)\(on) (the node's neighbour entry is FAILED)"
        case .incomplete:
            why = "no host answers \(ask) for \(backend)\(on) (the node's neighbour entry stays INCOMPLETE)"
        case .linkAddressGone(let mac):
            why =
                "the node still sends to \(backend) at \(mac), which no port of \(evidence.interface ?? "the bridge") "
                + "has any more (its veth was deleted)"
        case .reportedEarlier:
            why = "\(backend) was found gone when this flow was reported (the node's tables no longer say so)"
        }
        let consequence =
            stale
            ? "the client keeps its source port, so each packet it sends refreshes this entry and is DNAT'ed to the "
                + "gone backend, whatever the Service's rules say now: the client is black-holed while it keeps sending"
            : "the call is DNAT'ed to it and never answered (no bridge netfilter setting changes that)"
        let endpoints =
            service.map { "kubectl -n \($0.namespace) get endpointslices -l kubernetes.io/service-name=\($0.name)" }
            ?? "kubectl get endpointslices -A"
        return Diagnosis(
            code: "backend-unreachable",
            explanation: "\(why): the pod behind this endpoint is gone; \(consequence).",
            fix: "check the Service's endpoints (\(endpoints)): kube-proxy should have moved the rule off \(backend); "
                + "if the entry lingers, delete it: " + conntrackDelete(flow))
    }

    /// The flow's backend is not a ready or serving endpoint of the Service it
    /// was DNAT'ed for (the Kubernetes API or `--endpoints` says so), though
    /// nothing on the node shows it gone: the entry was made before the
    /// endpoint went (or kube-proxy has not caught up) and pins the flow to
    /// it. `endpoints` are the Service's ready or serving addresses now, of
    /// the flow's family.
    public static func staleEndpoint(
        flow: Flow, service: KubeObjectRef, endpoints: [IPAddress], stale: Bool
    ) -> Diagnosis {
        let backend = flow.reply.source
        let shown = endpoints.prefix(5).map(\.description).joined(separator: ", ")
        let now =
            endpoints.isEmpty
            ? "it has no ready endpoint now"
            : "its endpoints now: \(shown)\(endpoints.count > 5 ? " and \(endpoints.count - 5) more" : "")"
        let consequence =
            stale
            ? "the client keeps its source port, so each packet it sends refreshes this entry and goes on to \(backend), "
                + "whatever the Service's rules say now"
            : "the call was DNAT'ed to it and never answered"
        return Diagnosis(
            code: "stale-endpoint",
            explanation:
                "\(backend) is not a ready or serving endpoint of Service \(service) (\(now)); \(consequence).",
            fix: "delete the entry so that the next packet is DNAT'ed afresh: " + conntrackDelete(flow)
                + "; if new flows still go to \(backend), kube-proxy has not caught up with the Service's endpoints "
                + "(kubectl -n \(service.namespace) get endpointslices -l kubernetes.io/service-name=\(service.name))")
    }

    /// `conntrack -D` for the entries of calls to the flow's Service address
    /// DNAT'ed to its backend: every client's, so one command serves a gone
    /// backend. `unrepliedOnly` keeps the entries that got replies (for TCP by
    /// their SYN_SENT state; for other protocols by naming this flow's client).
    static func conntrackDelete(_ flow: Flow, unrepliedOnly: Bool = false) -> String {
        var command = "conntrack -D"
        if flow.family == .ipv6 { command += " -f ipv6" }
        command += " -p \(flow.transport)"
        if unrepliedOnly && flow.transport != .tcp { command += " --orig-src \(flow.original.source)" }
        command += " --orig-dst \(flow.original.destination) --reply-src \(flow.reply.source)"
        if unrepliedOnly && flow.transport == .tcp { command += " --state SYN_SENT" }
        return command
    }

    /// Bridge netfilter is off, which hangs such calls, but the neighbour table
    /// shows the backend neither gone nor alive: say both, and what tells them apart.
    static func bridgeNetfilterOffBackendUnknown(_ flow: Flow, namespace: NetworkNamespace) -> Diagnosis {
        let sysctl = BridgeNetfilter.sysctl(flow.family)
        return Diagnosis(
            code: "unknown",
            explanation: "\(sysctl) is 0 in \(namespace) (and the bridge's own option too), which hangs calls between "
                + "pods of one bridge, but the node's neighbour table shows \(flow.reply.source) neither answering nor "
                + "gone right now. If the backend pod exists, the switch is the cause; if not, the Service points at "
                + "a gone endpoint.",
            fix: "check that a pod holds \(flow.reply.source) (kubectl get pods -A -o wide); if one does: "
                + BridgeNetfilter.fix(flow.family))
    }

    /// Bridge netfilter is on for the flow's bridge now, so the reply should
    /// pass conntrack. An entry like this was most likely created while
    /// bridge netfilter was off and waits for its timeout; `turnedOn` is when
    /// this watch saw the switch flip (between two reads), which makes it
    /// certain for a flow that began before that. The code stays `unknown`:
    /// nothing is left to fix, and a tool keyed on the bridge-nf code must not act.
    public static func afterBridgeNetfilterOn(
        _ flow: Flow, since: WallTime, bridge: String?, backendAnswers: Bool = false, turnedOn: TimeWindow? = nil
    ) -> Diagnosis {
        if let turnedOn, predatesSwitch(since, turnedOn) {
            let bridgeText = bridge.map { "for \($0)" } ?? "for the pods' bridge"
            let expires = flow.timeout.map { "expires in \($0) s (its timeout) unless the client sends on it again" }
            return Diagnosis(
                code: "unknown",
                explanation: "This entry was created while bridge netfilter was off \(bridgeText); this watch saw it "
                    + "turned on between \(RFC3339.seconds(turnedOn.after)) and \(RFC3339.seconds(turnedOn.before)). It is a left-over of "
                    + "that time and " + (expires ?? "expires by its timeout") + ".",
                fix: "nothing more: new calls work; to drop the left-over at once: "
                    + conntrackDelete(flow, unrepliedOnly: true))
        }
        return bridgeNetfilterOnAgain(
            family: flow.family, bridge: bridge, backendAnswers: backendAnswers, timeout: flow.timeout)
    }

    /// Whether a flow that began at `since` began before a watch saw bridge
    /// netfilter turned on: a left-over of the time it was off, named as such.
    static func predatesSwitch(_ since: WallTime, _ turnedOn: TimeWindow?) -> Bool {
        turnedOn.map { since < $0.after } ?? false
    }

    /// The general case of `afterBridgeNetfilterOn`, from the values its text
    /// names and nothing else (what `DiagnosisMemo` keeps it by).
    static func bridgeNetfilterOnAgain(
        family: IPAddress.Family, bridge: String?, backendAnswers: Bool, timeout: UInt32?
    ) -> Diagnosis {
        // In one buffer rather than by `+`, which copied the growing text at every step.
        var explanation = "The reply never reached conntrack on this node, though bridge netfilter is on "
        explanation.reserveCapacity(480)
        explanation += bridge.map { "for \($0)" } ?? "for the pods' bridge"
        explanation += " now ("
        explanation += BridgeNetfilter.sysctl(family)
        explanation += " or the bridge's own option)"
        if backendAnswers { explanation += " and the backend answers ARP/ND" }
        explanation += ". If it was off when this entry was created, the entry predates the fix and "
        if let timeout {
            explanation += "expires in "
            explanation += String(timeout)
            explanation += " s (its timeout) unless the client sends on it again"
        } else {
            explanation += "expires by its timeout"
        }
        explanation += ". If entries like it keep appearing, the backend does not answer: check NetworkPolicies, the "
        explanation += "backend's listener, and the reply's path."
        return Diagnosis(code: "unknown", explanation: explanation, fix: nil)
    }

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

/// DiagnosisMemo keeps the diagnoses whose text depends on a few values
/// only, by those values: bridge netfilter off (the family, protocol,
/// namespace and bridge), and bridge netfilter on again (the family, bridge,
/// whether the backend answers, and the entry's timeout). A scan of
/// thousands of flows with one cause then builds its text a few times, not
/// once per flow, and its alerts share one value. The other diagnoses name
/// the flow's own addresses and are made each time. It starts over when it
/// holds `limit`.
public struct DiagnosisMemo: Sendable {
    /// The values a memoised diagnosis is made from, and nothing else: a key
    /// makes its diagnosis itself, so the two cannot drift apart.
    enum Key: Hashable, Sendable {
        case bridgeNetfilterOff(
            IPAddress.Family, TransportProtocol, NetworkNamespace, bridge: String?, option: Bool, loaded: Bool)
        case bridgeNetfilterOn(IPAddress.Family, bridge: String?, backendAnswers: Bool, timeout: UInt32?)

        var diagnosis: Diagnosis {
            switch self {
            case .bridgeNetfilterOff(let family, let transport, let namespace, let bridge, let option, let loaded):
                .bridgeNetfilterDisabled(
                    family: family, transport: transport, namespace: namespace, bridge: bridge.map { ($0, option) },
                    loaded: loaded)
            case .bridgeNetfilterOn(let family, let bridge, let backendAnswers, let timeout):
                .bridgeNetfilterOnAgain(
                    family: family, bridge: bridge, backendAnswers: backendAnswers, timeout: timeout)
            }
        }
    }

    private var kept = RecentValues<Key, Diagnosis>(limit: DiagnosisMemo.limit)
    public static let limit = 256
    public init() {}

    /// The diagnosis for `key`, made when it is not kept.
    mutating func diagnosis(_ key: Key) -> Diagnosis {
        kept.value(for: key) { $0.diagnosis }
    }
}
