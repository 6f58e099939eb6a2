import Conntrack
import TestSupport
import Testing

@testable import CTWatchCore

/// The stuck rules as one immutable value built from the options, and the
/// tracker's single compact form of a flow.
@Suite("stuck rules and tracker record")
struct StuckRulesTrackerTests {
    static let bridge = try! CIDR(parsing: "10.224.1.0/24")
    static let stuckV4 = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow
    static let second: UInt64 = 1_000_000_000

    @Test("the rules carry --min-age; the tracker judges by the rules it is given")
    func minAgeInRules() {
        let rules = StuckRules(subnets: [Self.bridge], minAge: .milliseconds(2500))
        #expect(rules.minAge == 2_500_000_000)
        var tracker = StuckTracker(rules: rules)
        #expect(tracker.minAge == rules.minAge)
        let t0: UInt64 = 1_800_000_000 * Self.second
        #expect(tracker.observe(Self.stuckV4, now: t0, fromDump: true) == nil)
        #expect(tracker.due(now: t0 + 2 * Self.second).isEmpty)
        #expect(tracker.due(now: t0 + 3 * Self.second).count == 1)
    }

    @Test("a minimum age that is negative or beyond 584 years is clamped, never a trap")
    func minAgeClamped() {
        #expect(StuckRules(subnets: [], minAge: .seconds(-5)).minAge == 0)
        #expect(StuckRules(subnets: [], minAge: .seconds(Int64.max)).minAge == .max)
        #expect(StuckRules(subnets: [], minAge: .nanoseconds(1)).minAge == 1)
    }

    @Test("with(minAge:) keeps every other rule")
    func withMinAge() throws {
        let services = try CIDR(parsing: "10.233.0.0/16")
        let rules = StuckRules(subnets: [Self.bridge], serviceRanges: [services], anyDNAT: true)
        let slower = rules.with(minAge: .seconds(60))
        #expect(slower.subnets == rules.subnets && slower.serviceRanges == rules.serviceRanges)
        #expect(slower.anyDNAT && slower.minAge == 60 * Self.second)
        #expect(slower.dumpFilter.status?.mask == rules.dumpFilter.status?.mask)
    }

    @Test("a tracked flow costs no more than before: the record is at most 104 bytes (it was 120)")
    func recordSize() {
        #expect(MemoryLayout<StuckTracker.Record>.stride <= 104)
    }

    @Test("the one record holds all a report needs: the flow comes back as it went in")
    func roundTrip() {
        var flow = Self.stuckV4
        flow.startNanoseconds = 1_795_739_458 * Self.second
        flow.zone = 3
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge]))
        guard
            case .stuck(let reported, _, _, _) = tracker.observe(
                flow, now: flow.startNanoseconds! + Self.second, fromDump: true)
        else {
            Issue.record("min-age 0: stuck at once")
            return
        }
        #expect(reported.original == flow.original && reported.reply == flow.reply)
        #expect(reported.family == flow.family && reported.transport == flow.transport)
        #expect(reported.status == flow.status && reported.tcpState == flow.tcpState)
        #expect(reported.timeout == flow.timeout && reported.zone == flow.zone && reported.id == flow.id)
        #expect(reported.startNanoseconds == flow.startNanoseconds)
    }

    @Test("a kernel start time that comes with a later update replaces the time of first sight")
    func laterKernelStart() {
        let t0: UInt64 = 1_800_000_000 * Self.second
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge], minAge: .seconds(10)))
        #expect(tracker.observe(Self.stuckV4, now: t0, fromDump: true) == nil)
        #expect(tracker.waitingForObservation(now: t0 + Self.second))
        var update = Self.stuckV4
        update.startNanoseconds = t0 - 20 * Self.second
        #expect(tracker.observe(update, now: t0 + Self.second, fromDump: false) == nil)
        #expect(!tracker.waitingForObservation(now: t0 + Self.second))
        let due = tracker.due(now: t0 + Self.second)
        guard case .stuck(let flow, let since, let age, _) = due.first else {
            Issue.record("the kernel's start makes it 21 s old: stuck, got \(due)")
            return
        }
        #expect(since == WallTime(nanoseconds: t0 - 20 * Self.second) && age == 21 * Self.second)
        #expect(flow.startNanoseconds == t0 - 20 * Self.second)
    }
}
