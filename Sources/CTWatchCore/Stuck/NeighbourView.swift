import Conntrack

/// BackendEvidence is what the node's own tables say about a backend that
/// nothing answers for any more: the reason a DNAT'ed call to it goes nowhere.
public struct BackendEvidence: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The neighbour entry is FAILED: the node asked and nobody answered.
        case failed
        /// The neighbour entry has stayed INCOMPLETE past one unanswered probe.
        case incomplete
        /// No neighbour entry at all, though the node has been sending to the
        /// backend (an unreplied flow older than the resolve grace): it failed and was dropped.
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
/// It is conservative: a backend counts as gone only on evidence that cannot
/// come from a live pod (a FAILED entry; INCOMPLETE past a probe; a REACHABLE
/// entry whose MAC no bridge port has; no entry at all while unreplied
/// traffic has been sent to it for the resolve grace). A STALE entry whose MAC
/// aged out of the bridge is not evidence: a live pod that stays silent for
/// the bridge's ageing time looks the same.
public struct NeighbourView: Sendable {
    /// How long an unreplied flow must have been sending to its backend before
    /// a missing neighbour entry, or an INCOMPLETE one of unknown age, counts:
    /// the kernel asks again every second (retrans_time) and gives up after three.
    public static let resolveGrace: UInt64 = 2_000_000_000

    struct Entry {
        var state: Neighbour.State
        var linkAddress: LinkAddress?
        var interfaceIndex: Int
        var secondsSinceUpdate: Double?
    }

    private var entries: [IPAddress: Entry] = [:]
    /// Per bridge index: the MACs its ports have (learned or their own).
    private var bridgeAddresses: [Int: Set<LinkAddress>] = [:]
    private var bridges: [NetworkInterface] = []
    private var names: [Int: String] = [:]
    /// Whether any table was read: an empty view knows nothing and accuses nobody.
    public let isEmpty: Bool

    /// A view that knows nothing: every backend counts as reachable.
    public init() { isEmpty = true }

    public init(neighbours: [Neighbour], forwarding: [BridgeForwardingEntry], interfaces: [NetworkInterface]) {
        isEmpty = false
        bridges = interfaces.filter(\.isBridge)
        for interface in interfaces { names[interface.index] = interface.name }
        for entry in forwarding {
            guard let bridge = entry.bridgeIndex else { continue }
            bridgeAddresses[bridge, default: []].insert(entry.linkAddress)
        }
        for neighbour in neighbours {
            let entry = Entry(
                state: neighbour.state, linkAddress: neighbour.linkAddress, interfaceIndex: neighbour.interfaceIndex,
                secondsSinceUpdate: neighbour.secondsSinceUpdate)
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

    /// Why `backend` is gone, or nil when nothing says so. `age` is the
    /// flow's age; `unreplied` whether the flow never had a reply (only then
    /// has a missing entry a meaning: the node has been sending to it).
    public func evidence(against backend: IPAddress, age: UInt64, unreplied: Bool) -> BackendEvidence? {
        guard !isEmpty else { return nil }
        guard let entry = entries[backend] else {
            guard unreplied, age >= Self.resolveGrace,
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
            // A live pod answers within a millisecond; a gone one leaves the entry cycling
            // FAILED -> INCOMPLETE every few seconds while traffic keeps asking.
            let unanswered =
                (entry.secondsSinceUpdate ?? 0) >= 1 || (unreplied && age >= Self.resolveGrace)
            return unanswered ? BackendEvidence(kind: .incomplete, backend: backend, interface: name) : nil
        }
        if entry.state == .reachable, let mac = entry.linkAddress, let known = bridgeAddresses[entry.interfaceIndex],
            !known.contains(mac)
        {
            return BackendEvidence(kind: .linkAddressGone(mac), backend: backend, interface: name)
        }
        return nil
    }

    /// Whether `backend` shows signs of life: a resolved neighbour entry whose
    /// MAC its bridge still has. Neither this nor `evidence` may hold (an
    /// entry just asked again): then nothing is known either way.
    public func answers(_ backend: IPAddress) -> Bool {
        guard !isEmpty, let entry = entries[backend], let mac = entry.linkAddress else { return false }
        guard !entry.state.contains(.failed), !entry.state.contains(.incomplete) else { return false }
        guard let known = bridgeAddresses[entry.interfaceIndex] else { return true }
        return known.contains(mac)
    }
}
