import Conntrack

/// StuckTracker remembers candidate flows compactly and decides when each
/// becomes stuck (unreplied for the rules' `minAge`) or stale (DNAT'ed to a
/// backend the neighbour view says is gone, for `minAge`) and when it is
/// cleared (replied, backend back, or gone). Not thread-safe: one owner.
///
/// A tracked flow is kept in one form only, its `Record` (both tuples as raw
/// words, identity, status, one start time); a `Flow` is made from it only for
/// a `Change`. A record is 104 bytes, plus 12 for its index entry.
public struct StuckTracker {
    /// Record is the compact form of a tracked flow.
    struct Record {
        var origSrcHigh: UInt64, origSrcLow: UInt64, origDstHigh: UInt64, origDstLow: UInt64
        var replySrcHigh: UInt64, replySrcLow: UInt64, replyDstHigh: UInt64, replyDstLow: UInt64
        /// `CTA_ID` in the high 32 bits, a hash of zone and original tuple in the low.
        var key: UInt64
        /// When the flow began: the kernel's start timestamp (`flags.kernelStart`) or first sight.
        var since: UInt64
        var status: UInt32
        var timeout: UInt32
        var origSrcPort: UInt16, origDstPort: UInt16, replySrcPort: UInt16, replyDstPort: UInt16
        var zone: UInt16
        var transport: UInt8
        var tcpState: UInt8  // 0xff: none
        var misses: UInt8
        /// The dump pass that last saw the record; only "this pass or not" matters, so it may wrap.
        var generation: UInt8
        var flags: Flags

        struct Flags: OptionSet {
            let rawValue: UInt8
            static let ipv6 = Flags(rawValue: 1 << 0)
            static let hasTimeout = Flags(rawValue: 1 << 1)
            static let kernelStart = Flags(rawValue: 1 << 2)
            static let reported = Flags(rawValue: 1 << 3)
            /// Tracked as stale (its backend gone), not as unreplied.
            static let stale = Flags(rawValue: 1 << 4)
            /// Stale because the cluster says its backend is no endpoint of its Service (not the neighbour table).
            static let byEndpoint = Flags(rawValue: 1 << 5)
        }

        var kind: Kind { flags.contains(.stale) ? .staleBackend : .unreplied }

        var id: UInt32 { UInt32(truncatingIfNeeded: key >> 32) }

        var flow: Flow {
            let ipv6 = flags.contains(.ipv6)
            func ip(_ high: UInt64, _ low: UInt64) -> IPAddress {
                ipv6 ? IPAddress(ipv6High: high, low: low) : IPAddress(ipv4: UInt32(truncatingIfNeeded: low))
            }
            return Flow(
                family: ipv6 ? .ipv6 : .ipv4, transport: TransportProtocol(rawValue: transport),
                original: Tuple(
                    source: ip(origSrcHigh, origSrcLow), destination: ip(origDstHigh, origDstLow),
                    sourcePort: origSrcPort, destinationPort: origDstPort),
                reply: Tuple(
                    source: ip(replySrcHigh, replySrcLow), destination: ip(replyDstHigh, replyDstLow),
                    sourcePort: replySrcPort, destinationPort: replyDstPort),
                status: FlowStatus(rawValue: status), tcpState: tcpState == 0xff ? nil : TCPState(rawValue: tcpState),
                timeout: flags.contains(.hasTimeout) ? timeout : nil, zone: zone, id: id,
                startNanoseconds: flags.contains(.kernelStart) ? since : nil)
        }

        init(_ flow: Flow, key: UInt64, firstSeen: UInt64, generation: UInt8, kind: Kind) {
            self.key = key
            origSrcHigh = flow.original.source.high
            origSrcLow = flow.original.source.low
            origDstHigh = flow.original.destination.high
            origDstLow = flow.original.destination.low
            replySrcHigh = flow.reply.source.high
            replySrcLow = flow.reply.source.low
            replyDstHigh = flow.reply.destination.high
            replyDstLow = flow.reply.destination.low
            since = flow.startNanoseconds ?? firstSeen
            status = flow.status.rawValue
            timeout = flow.timeout ?? 0
            self.generation = generation
            origSrcPort = flow.original.sourcePort
            origDstPort = flow.original.destinationPort
            replySrcPort = flow.reply.sourcePort
            replyDstPort = flow.reply.destinationPort
            zone = flow.zone
            transport = flow.transport.rawValue
            tcpState = flow.tcpState?.rawValue ?? 0xff
            misses = 0
            flags = []
            if flow.family == .ipv6 { flags.insert(.ipv6) }
            if flow.timeout != nil { flags.insert(.hasTimeout) }
            if flow.startNanoseconds != nil { flags.insert(.kernelStart) }
            if kind == .staleBackend { flags.insert(.stale) }
        }

        /// Whether `flow` is the entry this record tracks: same id, zone and original
        /// tuple, and the same kernel start time when both have one (an entry
        /// re-created with the same id and tuple is another entry).
        func sameEntry(as flow: Flow) -> Bool {
            id == (flow.id ?? 0) && zone == flow.zone && transport == flow.transport.rawValue
                && (!flags.contains(.kernelStart) || flow.startNanoseconds.map { $0 == since } ?? true)
                && origSrcLow == flow.original.source.low && origSrcHigh == flow.original.source.high
                && origDstLow == flow.original.destination.low && origDstHigh == flow.original.destination.high
                && origSrcPort == flow.original.sourcePort && origDstPort == flow.original.destinationPort
        }

        /// Age in nanoseconds at `now`.
        func age(now: UInt64) -> UInt64 { now > since ? now - since : 0 }
    }

    /// Kind is what a tracked flow is suspected of.
    public enum Kind: Sendable {
        /// Unreplied between pods of one bridge subnet (`dnat-unreplied`).
        case unreplied
        /// DNAT'ed to a backend that is gone, whatever its reply state (`dnat-stale-backend`).
        case staleBackend
    }

    /// Judgement is why a flow not tracked yet is taken on.
    enum Judgement {
        case unreplied
        /// Its backend gone, by the node's neighbour table.
        case staleBackend
        /// Its backend no endpoint of its Service, by the cluster.
        case staleEndpoint

        var kind: Kind { self == .unreplied ? .unreplied : .staleBackend }
    }

    /// A change the caller reports.
    public enum Change: Equatable, Sendable {
        /// The flow has been unreplied for `minAge`: report it once.
        case stuck(flow: Flow, since: WallTime, age: UInt64, subnet: CIDR)
        /// The flow is DNAT'ed to a gone backend and `minAge` old: report it once.
        case staleBackend(flow: Flow, since: WallTime, age: UInt64, subnet: CIDR)
        /// A reported flow got its reply, its backend back, or went away.
        case cleared(flow: Flow, since: WallTime, age: UInt64, reason: ClearReason, kind: Kind)
    }

    public enum ClearReason: String, Sendable {
        /// An unreplied flow got its reply.
        case replied
        /// A stale flow's backend holds its address again.
        case reachable
        case destroyed, gone
    }

    /// The rules the tracker judges by, shared with whoever built them; a
    /// live cluster view updates them (`update(cluster:)`).
    public private(set) var rules: StuckRules
    /// The node's neighbours as of the last dump: who is gone.
    public private(set) var neighbours = NeighbourView()
    /// The rules' `minAge`, in nanoseconds.
    public var minAge: UInt64 { rules.minAge }
    private var records: [Record] = []
    private var index: [UInt64: Int32] = [:]
    private var generation: UInt8 = 0

    public init(rules: StuckRules) {
        self.rules = rules
    }

    public var count: Int { records.count }

    /// The key: CTA_ID and a hash of zone and original tuple in 64 bits. A
    /// colliding key is told apart by `sameEntry`, and the newer entry wins.
    static func key(_ flow: Flow) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(flow.zone)
        hasher.combine(flow.transport.rawValue)
        hasher.combine(flow.original)
        let tupleHash = UInt64(UInt32(truncatingIfNeeded: hasher.finalize()))
        return UInt64(flow.id ?? 0) << 32 | tupleHash
    }

    /// Starts a dump pass: entries not seen by `endDump` are counted as missed.
    /// `neighbours`, read just before, judges backends until the next pass.
    public mutating func beginDump(neighbours: NeighbourView? = nil) {
        generation &+= 1
        if let neighbours { self.neighbours = neighbours }
    }

    /// Judges by a newer view of the cluster from now on.
    public mutating func update(cluster: ClusterView) {
        rules = rules.with(cluster: cluster)
    }

    /// What a flow not tracked yet is suspected of, with its bridge subnet;
    /// nil: nothing. A gone backend comes first (a stale flow, whatever its
    /// reply state), judged only on tables read after the flow began: a dump's
    /// flows were (the tables are read just before it); an event's flow only
    /// when its kernel start time says so, else the next dump judges it.
    func judge(_ flow: Flow, fromDump: Bool) -> (kind: Judgement, subnet: CIDR)? {
        guard let subnet = rules.dnatSubnet(for: flow) else { return nil }
        let viewIsNewer = fromDump || flow.startNanoseconds.map { $0 <= neighbours.readAt.nanoseconds } == true
        if viewIsNewer, neighbours.evidence(against: flow.reply.source) != nil { return (.staleBackend, subnet) }
        if rules.staleEndpoint(of: flow) != nil { return (.staleEndpoint, subnet) }
        if flow.isUnreplied, let unreplied = rules.subnet(for: flow) { return (.unreplied, unreplied) }
        return nil
    }

    /// Why a tracked stale flow is stale now: the neighbour table's evidence,
    /// or the cluster's endpoints; false when neither says so any more.
    private func isStale(_ flow: Flow) -> Bool {
        neighbours.evidence(against: flow.reply.source) != nil || rules.staleEndpoint(of: flow) != nil
    }

    /// A flow observed by a dump or a NEW/UPDATE event. Returns `.stuck` or
    /// `.staleBackend` when a new flow is already old enough (its kernel start
    /// time says so, or `minAge` is 0), and `.cleared` when an update shows a
    /// reported flow got its reply, its backend back, or its end.
    @discardableResult
    public mutating func observe(_ flow: Flow, now: UInt64, fromDump: Bool) -> Change? {
        let key = StuckTracker.key(flow)
        if let slot = index[key].map(Int.init), records[slot].sameEntry(as: flow) {
            if let reason = clearReason(records[slot], flow) {
                let cleared = remove(slot: slot, key: key, now: now, reason: reason)
                // A flow that got its reply can be stale all the same; one change per call,
                // so after a clear the new record waits for the next `due`.
                let next = track(flow, key: key, now: now, fromDump: fromDump, reportNow: cleared == nil)
                return cleared ?? next
            }
            records[slot].status = flow.status.rawValue
            if !records[slot].flags.contains(.kernelStart), let start = flow.startNanoseconds {
                records[slot].since = start
                records[slot].flags.insert(.kernelStart)
            }
            if let timeout = flow.timeout {
                records[slot].timeout = timeout
                records[slot].flags.insert(.hasTimeout)
            }
            if let state = flow.tcpState { records[slot].tcpState = state.rawValue }
            if fromDump {
                records[slot].generation = generation
                records[slot].misses = 0
            }
            return nil
        }
        if let slot = index[key].map(Int.init) {
            // Same key, another entry: the key's old entry is gone, unless the new one is no candidate.
            guard judge(flow, fromDump: fromDump) != nil else { return nil }
            let cleared = remove(slot: slot, key: key, now: now, reason: .gone)
            let next = track(flow, key: key, now: now, fromDump: fromDump, reportNow: cleared == nil)
            return cleared ?? next
        }
        return track(flow, key: key, now: now, fromDump: fromDump, reportNow: true)
    }

    /// Why a tracked flow, seen again as `flow`, stops being what it was
    /// tracked for; nil while it still is (or, for a stale flow, while its
    /// backend shows no sign of life either way).
    private func clearReason(_ record: Record, _ flow: Flow) -> ClearReason? {
        switch record.kind {
        case .unreplied:
            guard rules.subnet(for: flow) == nil else { return nil }
            return flow.status.contains(.dying) ? .destroyed : .replied
        case .staleBackend:
            // Only its end takes a tracked stale flow out of the rules: its tuples never change.
            guard rules.dnatSubnet(for: flow) != nil else { return .destroyed }
            if rules.staleEndpoint(of: flow) != nil { return nil }
            // Stale by the cluster alone, and the backend is an endpoint again; or it shows signs of life.
            if record.flags.contains(.byEndpoint) && neighbours.evidence(against: flow.reply.source) == nil {
                return .reachable
            }
            return neighbours.answers(flow.reply.source) ? .reachable : nil
        }
    }

    /// Tracks a flow not tracked yet, when it is a candidate; returns its change
    /// when it is already due and `reportNow`.
    private mutating func track(_ flow: Flow, key: UInt64, now: UInt64, fromDump: Bool, reportNow: Bool) -> Change? {
        guard let judged = judge(flow, fromDump: fromDump) else { return nil }
        index[key] = Int32(records.count)
        records.append(Record(flow, key: key, firstSeen: now, generation: generation, kind: judged.kind.kind))
        if judged.kind == .staleEndpoint { records[records.count - 1].flags.insert(.byEndpoint) }
        return reportNow ? dueChange(slot: records.count - 1, now: now, subnet: judged.subnet) : nil
    }

    /// The record's change when it is due and not reported yet. `subnet`, when
    /// given, is the one just judged for it (the rules would find it again).
    private mutating func dueChange(slot: Int, now: UInt64, subnet judged: CIDR? = nil) -> Change? {
        let age = records[slot].age(now: now)
        guard !records[slot].flags.contains(.reported), age >= minAge else { return nil }
        records[slot].flags.insert(.reported)
        let flow = records[slot].flow
        let since = WallTime(nanoseconds: now - age)
        switch records[slot].kind {
        case .unreplied:
            guard let subnet = judged ?? rules.subnet(for: flow) else { return nil }
            return .stuck(flow: flow, since: since, age: age, subnet: subnet)
        case .staleBackend:
            guard let subnet = judged ?? rules.dnatSubnet(for: flow) else { return nil }
            // The cluster's endpoints may have caught up with kube-proxy meanwhile (a new endpoint).
            if records[slot].flags.contains(.byEndpoint) && !isStale(flow) {
                records[slot].flags.remove(.reported)
                return nil
            }
            return .staleBackend(flow: flow, since: since, age: age, subnet: subnet)
        }
    }

    /// A DESTROY event.
    public mutating func destroyed(_ flow: Flow, now: UInt64) -> Change? {
        let key = StuckTracker.key(flow)
        guard let slot = index[key].map(Int.init), records[slot].sameEntry(as: flow) else { return nil }
        return remove(slot: slot, key: key, now: now, reason: .destroyed)
    }

    /// Ends a dump pass. An entry missing from two dumps in a row is gone (a
    /// dump is not a snapshot: one miss can be the walk's, not the entry's).
    public mutating func endDump(now: UInt64, missesToForget: UInt8 = 2) -> [Change] {
        var changes: [Change] = []
        var slot = 0
        while slot < records.count {
            if records[slot].generation != generation {
                records[slot].misses += 1
                if records[slot].misses >= missesToForget {
                    if let change = remove(slot: slot, key: records[slot].key, now: now, reason: .gone) {
                        changes.append(change)
                    }
                    continue  // the last record moved into `slot`
                }
                records[slot].generation = generation
            }
            slot += 1
        }
        return changes
    }

    /// Flows that crossed `minAge` since the last call; each is returned once.
    public mutating func due(now: UInt64) -> [Change] {
        records.indices.compactMap { dueChange(slot: $0, now: now) }
    }

    /// Flows tracked for less than `minAge` that still have no kernel start time.
    public func waitingForObservation(now: UInt64) -> Bool {
        records.contains {
            !$0.flags.contains(.reported) && !$0.flags.contains(.kernelStart) && $0.age(now: now) < minAge
        }
    }

    private mutating func remove(slot: Int, key: UInt64, now: UInt64, reason: ClearReason) -> Change? {
        let record = records[slot]
        index[key] = nil
        let last = records.count - 1
        if slot != last {
            records[slot] = records[last]
            index[records[slot].key] = Int32(slot)
        }
        records.removeLast()
        guard record.flags.contains(.reported) else { return nil }
        let age = record.age(now: now)
        return .cleared(
            flow: record.flow, since: WallTime(nanoseconds: now - age), age: age, reason: reason, kind: record.kind)
    }
}
