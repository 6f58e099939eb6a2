import Foundation
import TestSupport
import Testing

@testable import Conntrack

/// Decoding the statistics answers the kernel (6.18) really sent: `stats-cpu.bin`
/// (the IPCTNL_MSG_CT_GET_STATS_CPU dump) and `stats-global.bin`
/// (IPCTNL_MSG_CT_GET_STATS), recorded by `record-stats.sh` in a scratch
/// namespace nothing else used, with `conntrack -S` and `conntrack -C` run right
/// after: the counters could not move between the reads, so they must agree exactly.
@Suite("Recorded statistics messages")
struct RecordedStatisticsTests {
    static func fixture(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/netlink"))
    }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: fixture(name, "bin"))) }

    static func text(_ name: String) throws -> String { try String(contentsOf: fixture(name, "txt"), encoding: .utf8) }

    static func recorded() throws -> TableStatistics {
        try Requests.statistics(netlinkMessages: [bytes("stats-cpu"), bytes("stats-global")])
    }

    @Test("every per-CPU counter is what conntrack -S printed for the same messages")
    func perCPU() throws {
        let statistics = try Self.recorded()
        let truth = try ConntrackStatsText.parse(Self.text("stats-conntrack-S"))
        #expect(statistics.perCPU.map(\.cpu) == truth.keys.sorted())
        for cpu in statistics.perCPU {
            let printed = try #require(truth[cpu.cpu])
            #expect(Set(printed.keys) == Set(StatisticsCounter.allCases.map(\.name)), "this kernel sends all ten")
            for counter in StatisticsCounter.allCases {
                #expect(cpu.counts[counter] == printed[counter.name], "cpu \(cpu.cpu) \(counter)")
            }
        }
        // What record-stats.sh did: two inserts from CPU 0, one insert and three invalid segments (seen twice) from CPU 1.
        #expect(statistics.perCPU.first { $0.cpu == 0 }?.counts.insert == 2)
        #expect(statistics.perCPU.first { $0.cpu == 1 }?.counts.invalid == 6)
        #expect(statistics.total.insert == 3 && statistics.total.invalid == 6 && statistics.total.insertFailed == 0)
    }

    @Test("entries and the limit are conntrack -C's count and nf_conntrack_max, both sent by this kernel")
    func global() throws {
        let statistics = try Self.recorded()
        let count = try Self.text("stats-conntrack-C").trimmingCharacters(in: .whitespacesAndNewlines)
        let max = try Self.text("stats-nf_conntrack_max").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(String(statistics.entries) == count)
        #expect(statistics.maxEntries.map(String.init) == max)
        #expect(statistics.fill == Double(statistics.entries) / 262_144)
    }

    @Test("a GET_STATS answer without CTA_STATS_GLOBAL_MAX_ENTRIES leaves the limit unknown, not 0 (no limit)")
    func missingLimit() throws {
        var global = try Self.bytes("stats-global")
        // Drop the last attribute (8 bytes: MAX_ENTRIES) and shorten the message to match.
        #expect(global.count == 36 && global[28] == 8 && global[30] == 2, "the recording ends with MAX_ENTRIES")
        global.removeLast(8)
        global[0] = 28
        let statistics = try Requests.statistics(netlinkMessages: [global])
        #expect(statistics.entries == 3)
        #expect(statistics.maxEntries == nil)
        #expect(statistics.fill == nil)
    }

    @Test("messages that are not statistics answers are skipped")
    func otherMessagesSkipped() throws {
        let dump = try Array(Data(contentsOf: RecordedMessagesTests.fixture("dump", "bin")))
        let statistics = try Requests.statistics(netlinkMessages: [dump])
        #expect(statistics.perCPU.isEmpty && statistics.entries == 0)
    }
}

/// Deltas between readings: counters that go down (a module reload, a namespace
/// re-created, a 32-bit wrap) never give a negative or huge change.
@Suite("Statistics deltas")
struct StatisticsDeltaTests {
    static func reading(entries: UInt32 = 0, _ cpus: [Int: [StatisticsCounter: UInt64]]) -> TableStatistics {
        TableStatistics(
            entries: entries, maxEntries: 100,
            perCPU: cpus.keys.sorted().map { cpu in
                var counts = StatisticsCounts()
                for (counter, value) in cpus[cpu]! { counts[counter] = value }
                return CPUStatistics(cpu: cpu, counts: counts)
            })
    }

    @Test("the change is counter by counter and CPU by CPU; the total is their sum")
    func plainChange() {
        let earlier = Self.reading(
            entries: 10, [0: [.insert: 5, .insertFailed: 1], 1: [.insert: 7, .clashResolve: 2]])
        let later = Self.reading(entries: 4, [0: [.insert: 9, .insertFailed: 3], 1: [.insert: 7, .clashResolve: 6]])
        let delta = later.delta(since: earlier)
        #expect(delta.perCPU.map(\.cpu) == [0, 1])
        #expect(delta.perCPU[0].counts.insert == 4 && delta.perCPU[0].counts.insertFailed == 2)
        #expect(delta.perCPU[1].counts.insert == 0 && delta.perCPU[1].counts.clashResolve == 4)
        #expect(delta.total.insert == 4 && delta.total.insertFailed == 2 && delta.total.clashResolve == 4)
        #expect(delta.entries == -6)
        #expect(delta.wentDown.isEmpty)
        #expect(later.delta(since: later).total == .zero)
    }

    @Test("a counter that went down counts from zero: never negative, never near 2^32 or 2^64")
    func counterWentDown() {
        // CPU 1's counters restarted (module reload); CPU 0's insert wrapped at 2^32.
        let earlier = Self.reading([0: [.insert: 4_294_967_290, .found: 10], 1: [.insertFailed: 500, .drop: 7]])
        let later = Self.reading([0: [.insert: 3, .found: 12], 1: [.insertFailed: 2, .drop: 7]])
        let delta = later.delta(since: earlier)
        #expect(delta.perCPU[0].counts.insert == 3, "a wrap misses the counts before 2^32, never adds 2^32")
        #expect(delta.perCPU[0].counts.found == 2)
        #expect(delta.perCPU[1].counts.insertFailed == 2)
        #expect(delta.perCPU[1].counts.drop == 0)
        #expect(delta.total.insertFailed == 2 && delta.total.insert == 3)
        #expect(delta.wentDown == [.insert, .insertFailed])
        for counter in StatisticsCounter.allCases { #expect(delta.total[counter] < 1 << 20) }
    }

    @Test("a CPU without a baseline changes by zero; a CPU that left is not in the change")
    func cpuSetChanged() {
        let earlier = Self.reading([0: [.insert: 5], 1: [.insert: 9]])
        let later = Self.reading([0: [.insert: 6], 2: [.insert: 1_000_000]])
        let delta = later.delta(since: earlier)
        #expect(delta.perCPU.map(\.cpu) == [0, 2])
        #expect(delta.perCPU[1].counts == .zero)
        #expect(delta.total.insert == 1)
        #expect(delta.wentDown.isEmpty, "no CPU present in both readings went down")
    }

    @Test("counters are named as the kernel and conntrack -S name them, in conntrack -S's order")
    func names() {
        #expect(
            StatisticsCounter.allCases.map(\.name) == [
                "found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart",
                "clash_resolve", "chaintoolong",
            ])
    }
}
