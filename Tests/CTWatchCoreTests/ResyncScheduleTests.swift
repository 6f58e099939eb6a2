import CTWatchCore
import Conntrack
import Testing

/// When `stuck --watch` re-dumps: losses share resyncs, a quiet episode gets one more.
@Suite("resync schedule")
struct ResyncScheduleTests {
    static let second: UInt64 = 1_000_000_000

    static func loss(at seconds: Double, _ overruns: Int = 1) -> EventLoss {
        EventLoss(overruns: overruns, receiveBufferSize: 4096, detected: WallTime(nanoseconds: UInt64(seconds * 1e9)))
    }

    static func schedule() -> ResyncSchedule {
        ResyncSchedule(interval: 10, quietPeriod: 1, firstDumpBegan: WallTime(nanoseconds: 100 * second), ended: 100)
    }

    @Test("nothing is due before the interval; the interval is")
    func interval() {
        let schedule = Self.schedule()
        #expect(schedule.due(at: 105) == nil)
        #expect(schedule.due(at: 110) == .interval)
    }

    @Test("losses queued while a resync ran are covered by one more resync, not one each")
    func queuedLossesShareOneResync() {
        var schedule = Self.schedule()
        schedule.lossSeen(Self.loss(at: 101, 1), at: 101)
        #expect(schedule.due(at: 101) == .lostEvents)
        schedule.resyncBegan(WallTime(nanoseconds: 101 * Self.second), at: 101)
        // Read while that resync ran: detected during it (an earlier burst's) or before it.
        schedule.lossSeen(Self.loss(at: 101, 2), at: 102)
        schedule.lossSeen(Self.loss(at: 102, 3), at: 102)
        schedule.lossSeen(Self.loss(at: 102, 4), at: 102)
        schedule.resyncEnded(at: 102)
        #expect(schedule.due(at: 102) == .lostEvents)
        schedule.resyncBegan(WallTime(nanoseconds: 102 * Self.second + 1), at: 102)
        // Still in the queue, detected before that resync began: covered by it.
        schedule.lossSeen(Self.loss(at: 102, 5), at: 102.5)
        schedule.resyncEnded(at: 102.5)
        #expect(schedule.due(at: 102.5) == nil)
    }

    @Test("a loss episode quiet for the quiet period gets one more resync, once")
    func resyncAfterQuietEpisode() {
        var schedule = Self.schedule()
        schedule.lossSeen(Self.loss(at: 101), at: 101)
        schedule.resyncBegan(WallTime(nanoseconds: 101 * Self.second), at: 101)
        schedule.resyncEnded(at: 101.2)
        #expect(schedule.due(at: 101.5) == nil, "not while the episode may go on")
        #expect(schedule.due(at: 102) == .lossEpisodeEnded)
        schedule.resyncBegan(WallTime(nanoseconds: 102 * Self.second), at: 102)
        schedule.resyncEnded(at: 102.3)
        #expect(schedule.due(at: 103) == nil)
        #expect(schedule.due(at: 112.3) == .interval)
    }

    @Test("a loss during the quiet period keeps the episode open")
    func episodeGoesOn() {
        var schedule = Self.schedule()
        schedule.lossSeen(Self.loss(at: 101), at: 101)
        schedule.resyncBegan(WallTime(nanoseconds: 101 * Self.second), at: 101)
        schedule.resyncEnded(at: 101.1)
        schedule.lossSeen(Self.loss(at: 100.9), at: 101.8)  // detected before the resync began: covered
        #expect(schedule.due(at: 102) == nil)
        #expect(schedule.due(at: 102.8) == .lossEpisodeEnded)
    }
}
