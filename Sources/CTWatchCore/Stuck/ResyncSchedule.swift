import Conntrack

/// ResyncSchedule decides when `stuck --watch` re-dumps the table: every
/// `interval`; after lost events, where one resync covers every loss detected
/// before it began (losses that queue while a resync is due or running share
/// one more, not one each); and once more when a loss episode has been quiet
/// for `quietPeriod`, because a dump taken during a burst can be followed by
/// more drops. Times are MonotonicClock seconds; loss times are WallTimes, as
/// the subscription stamps them. A value: the caller keeps it and runs the dumps.
public struct ResyncSchedule: Sendable {
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        case interval, lostEvents, lossEpisodeEnded

        /// What ends "resynced from a dump after ...".
        public var description: String {
            switch self {
            case .interval: "the resync interval"
            case .lostEvents: "lost events"
            case .lossEpisodeEnded: "the end of a loss episode"
            }
        }
    }

    public let interval: Double
    public let quietPeriod: Double
    private var lastResyncBegan: WallTime
    private var lastResyncEnded: Double
    private var lossUncovered = false
    private var lastLossSeen: Double?

    /// A schedule whose first dump began at `began` and ended at `ended`.
    public init(interval: Double, quietPeriod: Double = 1, firstDumpBegan began: WallTime, ended: Double) {
        self.interval = interval
        self.quietPeriod = quietPeriod
        lastResyncBegan = began
        lastResyncEnded = ended
    }

    /// Notes a loss the consumer has just read.
    public mutating func lossSeen(_ loss: EventLoss, at now: Double) {
        if loss.detected >= lastResyncBegan { lossUncovered = true }
        lastLossSeen = now
    }

    /// Why a resync is due now, if one is.
    public func due(at now: Double) -> Reason? {
        if lossUncovered { return .lostEvents }
        if let lastLossSeen, now - lastLossSeen >= quietPeriod { return .lossEpisodeEnded }
        if now - lastResyncEnded >= interval { return .interval }
        return nil
    }

    /// Call as a resync's dump begins (whatever the reason).
    public mutating func resyncBegan(_ wall: WallTime, at now: Double) {
        lossUncovered = false
        lastResyncBegan = wall
        if let lastLossSeen, now - lastLossSeen >= quietPeriod { self.lastLossSeen = nil }
    }

    /// Call when a resync's dump has been read.
    public mutating func resyncEnded(at now: Double) {
        lastResyncEnded = now
    }
}
