import CTWatchCore
import Conntrack
import Testing

@Suite("StuckLedger: the flows stuck now, by Service and reason")
struct StuckLedgerTests {
    @Test("a flow counts once however often it is reported, under what it was reported as, until it clears")
    func countsAndClears() throws {
        var ledger = StuckLedger()
        let series = StuckLedger.Series(namespace: "shop", service: "cart", reason: "bridge-nf-call-iptables-disabled")
        #expect(ledger.record(StuckTests.finding(StuckTests.stuckV4)) == series)
        #expect(ledger.record(StuckTests.finding(StuckTests.stuckV4)) == nil, "reported again after a resync")
        #expect(ledger.counts == [series: 1])
        #expect(ledger.total == 1)

        var other = StuckTests.finding(StuckTests.stuckV4)
        other.flow.original.sourcePort &+= 1
        other.attribution = Attribution()
        let unnamed = StuckLedger.Series(namespace: "", service: "", reason: series.reason)
        #expect(ledger.record(other) == unnamed)
        #expect(ledger.counts == [series: 1, unnamed: 1])

        // Cleared under another diagnosis (the bridge was fixed meanwhile): the flow leaves the series it was counted in.
        var cleared = StuckTests.finding(StuckTests.stuckV4, cleared: .replied)
        cleared.diagnosis = .unknown
        #expect(ledger.record(cleared) == nil)
        #expect(ledger.counts == [unnamed: 1])
        #expect(ledger.record(StuckTests.finding(StuckTests.stuckV4, cleared: .gone)) == nil, "cleared twice")
        #expect(ledger.counts == [unnamed: 1])
        var otherCleared = other
        otherCleared.cleared = .gone
        ledger.record(otherCleared)
        #expect(ledger.counts.isEmpty && ledger.total == 0)
    }

    @Test(
        "entries are told apart as the tracker tells them: a new entry on a reused tuple, the same tuple in another zone"
    )
    func entries() throws {
        var ledger = StuckLedger()
        let first = StuckTests.finding(StuckTests.stuckV4)
        var reused = first
        reused.flow.id = (first.flow.id ?? 0) &+ 1
        var zoned = first
        zoned.flow.zone = 7
        for finding in [first, reused, zoned] { #expect(ledger.record(finding) != nil) }
        #expect(ledger.total == 3)
        // The old entry goes (a resync finds it gone) while the new one on its tuple stays stuck.
        var gone = first
        gone.cleared = .gone
        ledger.record(gone)
        #expect(ledger.total == 2)
        #expect(ledger.counts.values.reduce(0, +) == 2)
    }
}
