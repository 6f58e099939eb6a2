import Conntrack

/// BackendEvidence is what the node's own tables say about a backend that
/// nothing answers for any more: the reason a DNAT'ed call to it goes nowhere.
public struct BackendEvidence: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The neighbour entry is FAILED: the node asked and nobody answered.
        case failed
        /// The neighbour entry has been INCOMPLETE for longer than a live pod takes to answer.
        case incomplete
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
/// databases, read once per scan, answering two questions per flow: is the
/// backend gone, and does it show signs of life? Either may be unknown.
///
/// It is conservative: a backend counts as gone only on evidence a live pod
/// cannot give: a FAILED entry; an INCOMPLETE one asked for half a second (a
/// pod on the bridge answers within milliseconds); a resolved entry whose MAC
/// no port of its bridge has, though the neighbour proved itself more
/// recently than the bridge forgets a silent MAC (so the MAC left with its
/// port). A missing entry is no evidence: the kernel's neighbour garbage
/// collection removes live pods' entries too on a node with many neighbours.
public struct NeighbourView: Sendable {
    /// How long an INCOMPLETE entry must have been asked for to count.
    public static let unansweredAsk = 0.5
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
    /// When the tables were read: they say nothing of a flow begun later.
    public private(set) var readAt = WallTime(nanoseconds: 0)
    /// Whether any table was read: an empty view knows nothing and accuses nobody.
    public let isEmpty: Bool

    /// A view that knows nothing: no backend counts as gone, none as alive.
    public init() { isEmpty = true }

    public init(
        neighbours: [Neighbour], forwarding: [BridgeForwardingEntry], interfaces: [NetworkInterface], readAt: WallTime
    ) {
        isEmpty = false
        self.readAt = readAt
        bridges = interfaces.filter(\.isPodBridge)
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

    private func isBridge(_ index: Int) -> Bool { bridges.contains { $0.index == index } }

    /// Why `backend` is gone, or nil when nothing says so.
    public func evidence(against backend: IPAddress) -> BackendEvidence? {
        guard !isEmpty, let entry = entries[backend] else { return nil }
        let name = names[entry.interfaceIndex]
        if entry.state.contains(.failed) {
            return BackendEvidence(kind: .failed, backend: backend, interface: name)
        }
        if entry.state.contains(.incomplete) {
            // A gone pod's entry cycles FAILED -> INCOMPLETE every few seconds while traffic asks.
            guard let asked = entry.secondsSinceUpdate, asked >= Self.unansweredAsk else { return nil }
            return BackendEvidence(kind: .incomplete, backend: backend, interface: name)
        }
        let resolved: Neighbour.State = [.reachable, .stale, .delay, .probe]
        guard !entry.state.isDisjoint(with: resolved), let mac = entry.linkAddress,
            let known = bridgeAddresses[entry.interfaceIndex], !known.contains(mac)
        else { return nil }
        // The bridge forgets a silent MAC after its ageing time; a neighbour that
        // answered more recently than that was forgotten with its port.
        let ageing = bridges.first { $0.index == entry.interfaceIndex }?.forwardingAgeingSeconds ?? Self.defaultAgeing
        guard ageing > 0, let confirmed = entry.secondsSinceConfirmed, confirmed < ageing else { return nil }
        return BackendEvidence(kind: .linkAddressGone(mac), backend: backend, interface: name)
    }

    /// Whether `backend` shows signs of life: a resolved neighbour entry whose
    /// MAC its bridge still has (or, off a bridge, any resolved entry).
    public func answers(_ backend: IPAddress) -> Bool {
        guard !isEmpty, let entry = entries[backend], let mac = entry.linkAddress else { return false }
        guard entry.state.isDisjoint(with: [.failed, .incomplete]) else { return false }
        guard let known = bridgeAddresses[entry.interfaceIndex] else { return true }
        return known.contains(mac)
    }
}
