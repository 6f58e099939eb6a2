import Conntrack

/// BackendEvidence is what the node's own tables say about a backend that
/// nothing answers for any more: the reason a DNAT'ed call to it goes nowhere.
public struct BackendEvidence: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The neighbour entry is FAILED: the node asked and nobody answered.
        case failed
        /// The neighbour entry has been INCOMPLETE for longer than a live pod takes to answer.
        case incomplete
        /// No neighbour entry at all, though an unreplied flow sent to the
        /// backend moments ago: the node asked, failed, and the entry was reaped.
        case absent
        /// The neighbour entry still holds a MAC that no port of the bridge
        /// has any more: the pod's veth (its bridge port) is gone.
        case linkAddressGone(LinkAddress)
        /// The backend was found gone when the flow was reported; the tables no longer say so.
        case reportedEarlier
    }

    public var kind: Kind
    public var backend: IPAddress
    /// The interface the backend was looked for on (the bridge), when known.
    public var interface: String?

    public init(kind: Kind, backend: IPAddress, interface: String?) {
        self.kind = kind
        self.backend = backend
        self.interface = interface
    }
}

/// NeighbourView is the node's neighbour table and its bridges' forwarding
/// databases, read once per scan, answering one question per flow: does
/// anything still hold the backend's address?
///
/// It is conservative: a backend counts as gone only on evidence a live pod
/// cannot give: a FAILED entry; an INCOMPLETE one asked for half a second (a
/// pod on the bridge answers within milliseconds); a resolved entry whose MAC
/// no bridge port has though the neighbour proved itself more recently than
/// the bridge forgets a silent MAC (its port was deleted); no entry at all
/// while an unreplied flow sent to it moments ago (the node asked, failed,
/// and the kernel reaped the FAILED entry). A STALE entry whose MAC aged out
/// of the bridge is no evidence: a live pod that stays silent looks the same.
public struct NeighbourView: Sendable {
    /// How long an INCOMPLETE entry must have been asked for to count.
    public static let unansweredAsk = 0.5
    /// How recently an unreplied flow must have sent for a missing entry to
    /// count: well inside gc_stale_time (60 s), so a live backend's entry,
    /// used by that packet, cannot have been reaped since.
    public static let absentWindow = 30.0
    /// A bridge's ageing time when it did not say (the kernel's default).
    static let defaultAgeing = 300.0

    struct Entry {
        var state: Neighbour.State
        var linkAddress: LinkAddress?
        var interfaceIndex: Int
        var secondsSinceUpdate: Double?
        var secondsSinceConfirmed: Double?
    }

    private var entries: [IPAddress: Entry] = [:]
    /// Per bridge index: the MACs its ports have (learned or their own).
    private var bridgeAddresses: [Int: Set<LinkAddress>] = [:]
    private var bridges: [NetworkInterface] = []
    private var names: [Int: String] = [:]
    /// The initial timeouts of unreplied entries (a TCP SYN_SENT, a UDP
    /// entry), which every packet restarts: how long ago a flow last sent.
    private var unrepliedTimeouts: [TransportProtocol: UInt32] = [:]
    /// When the tables were read: a missing entry means something only for a
    /// flow that sent before then.
    public private(set) var readAt = WallTime(nanoseconds: 0)
    /// Whether any table was read: an empty view knows nothing and accuses nobody.
    public let isEmpty: Bool

    /// A view that knows nothing: no backend counts as gone.
    public init() { isEmpty = true }

    /// `unrepliedTimeouts`: `nf_conntrack_tcp_timeout_syn_sent` for `.tcp` and
    /// `nf_conntrack_udp_timeout` for `.udp`, in seconds (see `timeoutSysctls`).
    public init(
        neighbours: [Neighbour], forwarding: [BridgeForwardingEntry], interfaces: [NetworkInterface],
        unrepliedTimeouts: [TransportProtocol: UInt32] = [:], readAt: WallTime
    ) {
        isEmpty = false
        self.readAt = readAt
        bridges = interfaces.filter(\.isBridge)
        self.unrepliedTimeouts = unrepliedTimeouts
        for interface in interfaces { names[interface.index] = interface.name }
        for entry in forwarding {
            guard let bridge = entry.bridgeIndex else { continue }
            bridgeAddresses[bridge, default: []].insert(entry.linkAddress)
        }
        for neighbour in neighbours {
            let entry = Entry(
                state: neighbour.state, linkAddress: neighbour.linkAddress, interfaceIndex: neighbour.interfaceIndex,
                secondsSinceUpdate: neighbour.secondsSinceUpdate, secondsSinceConfirmed: neighbour.secondsSinceConfirmed
            )
            // One address can have an entry on several links; the bridge's decides.
            if let existing = entries[neighbour.address], isBridge(existing.interfaceIndex),
                !isBridge(neighbour.interfaceIndex)
            {
                continue
            }
            entries[neighbour.address] = entry
        }
    }

    /// The sysctls that give `unrepliedTimeouts`, by protocol.
    public static let timeoutSysctls: [(TransportProtocol, String)] = [
        (.tcp, "net.netfilter.nf_conntrack_tcp_timeout_syn_sent"), (.udp, "net.netfilter.nf_conntrack_udp_timeout"),
    ]

    private func isBridge(_ index: Int) -> Bool { bridges.contains { $0.index == index } }

    /// Seconds since an unreplied flow last sent, from how much of its
    /// initial timeout is left; nil for a replied flow or when not known.
    func quiet(_ flow: Flow) -> Double? {
        guard flow.isUnreplied, let timeout = flow.timeout, let initial = unrepliedTimeouts[flow.transport],
            flow.transport != .tcp || flow.tcpState == .synSent
        else { return nil }
        return Double(initial) - Double(min(timeout, initial))
    }

    /// Why the flow's backend (its reply source) is gone, or nil when nothing
    /// says so; `now` is when the flow was seen as it is.
    public func evidence(for flow: Flow, now: WallTime) -> BackendEvidence? {
        guard !isEmpty else { return nil }
        let backend = flow.reply.source
        guard let entry = entries[backend] else {
            // The entry is made when the node first sends: missing from tables read after the
            // flow's last packet (a second's slack for the timeout's rounding), it was reaped.
            guard let quiet = quiet(flow), quiet <= Self.absentWindow,
                Double(now.nanoseconds) / 1e9 - quiet + 1 <= Double(readAt.nanoseconds) / 1e9,
                let bridge = bridges.first(where: { bridge in
                    bridge.addresses.contains { $0.address.family == backend.family && $0.subnet.contains(backend) }
                })
            else { return nil }
            return BackendEvidence(kind: .absent, backend: backend, interface: bridge.name)
        }
        let name = names[entry.interfaceIndex]
        if entry.state.contains(.failed) {
            return BackendEvidence(kind: .failed, backend: backend, interface: name)
        }
        if entry.state.contains(.incomplete) {
            // A gone pod's entry cycles FAILED -> INCOMPLETE every few seconds while traffic asks.
            guard (entry.secondsSinceUpdate ?? Self.unansweredAsk) >= Self.unansweredAsk else { return nil }
            return BackendEvidence(kind: .incomplete, backend: backend, interface: name)
        }
        guard let mac = entry.linkAddress, let known = bridgeAddresses[entry.interfaceIndex], !known.contains(mac)
        else { return nil }
        // The bridge forgets a silent MAC after its ageing time; a neighbour
        // that answered more recently than that was forgotten with its port.
        let ageing = bridges.first { $0.index == entry.interfaceIndex }?.forwardingAgeingSeconds ?? Self.defaultAgeing
        guard entry.state == .reachable || (entry.secondsSinceConfirmed.map { $0 < ageing } ?? false) else {
            return nil
        }
        return BackendEvidence(kind: .linkAddressGone(mac), backend: backend, interface: name)
    }

    /// Whether `backend` shows signs of life: a resolved neighbour entry whose
    /// MAC its bridge still has. Neither this nor `evidence` may hold (an
    /// entry being asked again): then nothing is known either way.
    public func answers(_ backend: IPAddress) -> Bool {
        guard !isEmpty, let entry = entries[backend], let mac = entry.linkAddress else { return false }
        guard !entry.state.contains(.failed), !entry.state.contains(.incomplete) else { return false }
        guard let known = bridgeAddresses[entry.interfaceIndex] else { return true }
        return known.contains(mac)
    }
}
