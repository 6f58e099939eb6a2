import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// `ctwatch stats` output from statistics built in the test: the text table
/// and the `ctwatch.stats` JSON lines, checked against the schema.
@Suite("Statistics report")
struct StatisticsReportTests {
    static func reading(entries: UInt32, max: UInt32? = 262_144, _ cpus: [[StatisticsCounter: UInt64]])
        -> TableStatistics
    {
        TableStatistics(
            entries: entries, maxEntries: max,
            perCPU: cpus.enumerated().map { cpu, values in
                var counts = StatisticsCounts()
                for (counter, value) in values { counts[counter] = value }
                return CPUStatistics(cpu: cpu, counts: counts)
            })
    }

    static let start = WallTime(nanoseconds: 1_796_083_200_000_000_000)  // 2026-12-01T00:00:00Z

    /// Three samples a second apart: a quiet start, then two insert races (one
    /// lost, one resolved), then CPU 1's counters restart.
    static func samples() -> [StatisticsSample] {
        let readings = [
            reading(entries: 3, [[.insert: 2, .found: 40], [.insert: 1, .invalid: 6]]),
            reading(
                entries: 5, [[.insert: 3, .found: 41, .insertFailed: 1], [.insert: 2, .invalid: 6, .clashResolve: 1]]),
            reading(entries: 4, [[.insert: 4, .found: 45, .insertFailed: 1], [.insert: 1]]),
        ]
        var sampler = StatisticsSampler()
        return readings.enumerated().map { index, statistics in
            let offset = UInt64(index) * 1_000_000_000
            return sampler.sample(
                statistics, time: WallTime(nanoseconds: start.nanoseconds + offset),
                monotonicNanoseconds: 5_000_000_000 + offset)
        }
    }

    @Test("the sampler's first sample has no change; the next ones their change and interval")
    func sampler() {
        let samples = Self.samples()
        #expect(samples[0].change == nil && samples[0].interval == nil)
        #expect(samples[1].interval == 1_000_000_000)
        #expect(samples[1].change?.total.insertFailed == 1 && samples[1].change?.total.clashResolve == 1)
        #expect(samples[1].change?.entries == 2)
        #expect(samples[2].change?.wentDown == [.invalid, .insert, .clashResolve])
        #expect(samples[2].change?.perCPU[1].counts.insert == 1, "CPU 1 restarted: its change counts from 0")
    }

    @Test("text: insert_failed and clash_resolve are the first columns, one row per CPU and the total")
    func text() {
        let samples = Self.samples()
        let first = StatisticsReport.textLines(samples[0])
        #expect(
            first == [
                "2026-12-01T00:00:00Z  entries 3 of 262144 (0.0%)  counts since the counters started",
                "CPU    INSERT_FAILED  CLASH_RESOLVE  DROP  EARLY_DROP  CHAINTOOLONG  SEARCH_RESTART  INSERT  FOUND  INVALID  ERROR",
                "0                  0              0     0           0             0               0       2     40        0      0",
                "1                  0              0     0           0             0               0       1      0        6      0",
                "total              0              0     0           0             0               0       3     40        6      0",
                "",
            ])
        let second = StatisticsReport.textLines(samples[1])
        #expect(second[0] == "2026-12-01T00:00:01Z  entries 5 of 262144 (0.0%) +2  change in 1.00s")
        #expect(
            second[2]
                == "0                  1              0     0           0             0               0       1      1        0      0"
        )
        #expect(
            second[4]
                == "total              1              1     0           0             0               0       2      1        0      0"
        )
        let third = StatisticsReport.textLines(samples[2])
        #expect(
            third[0]
                == "2026-12-01T00:00:02Z  entries 4 of 262144 (0.0%) -1  change in 1.00s (invalid, insert, clash_resolve went down: restarted, counted from 0)"
        )
    }

    @Test("text: the limit is shown as the kernel gave it: none, or unknown")
    func limits() {
        let noLimit = StatisticsSample(time: Self.start, statistics: Self.reading(entries: 7, max: 0, [[:]]))
        #expect(StatisticsReport.textLines(noLimit)[0].contains("entries 7 (no limit)"))
        let unknown = StatisticsSample(time: Self.start, statistics: Self.reading(entries: 7, max: nil, [[:]]))
        #expect(StatisticsReport.textLines(unknown)[0].contains("entries 7 (limit unknown)"))
        let full = StatisticsSample(time: Self.start, statistics: Self.reading(entries: 235_930, [[:]]))
        #expect(StatisticsReport.textLines(full)[0].contains("entries 235930 of 262144 (90.0%)"))
    }

    static func json(_ samples: [StatisticsSample]) -> [UInt8] {
        var json = JSONWriter(capacity: 4096)
        for sample in samples { StatisticsReport.appendJSON(sample, into: &json) }
        return json.bytes
    }

    @Test("JSON: every line follows the schema; a sample is its CPU lines then the total, which sums them")
    func jsonSchema() throws {
        let stdout = Self.json(Self.samples())
        #expect(JSONLineSchema.statisticsOutputProblems(stdout: stdout, cpus: 2) == [])
        let values = JSONLineSchema.checkOutput(stdout).values
        #expect(values.count == 9)
        let total = values[5]
        #expect(total[path: "ctwatch", "stats", "entries"]?.unsignedValue == 5)
        #expect(total[path: "ctwatch", "stats", "entries_limit"]?.unsignedValue == 262_144)
        #expect(total[path: "ctwatch", "stats", "entries_change"] == .number("2"))
        #expect(total[path: "ctwatch", "stats", "change", "insert_failed"]?.unsignedValue == 1)
        #expect(total[path: "ctwatch", "stats", "counters", "insert_failed"]?.unsignedValue == 1)
        #expect(total[path: "event", "duration"]?.unsignedValue == 1_000_000_000)
        #expect(total[path: "log", "level"]?.stringValue == "warn", "an insert race lost a packet")
        #expect(
            total["message"]?.stringValue
                == "conntrack statistics: entries 5 of 262144 (0.0%) +2, insert_failed +1, clash_resolve +1, drop +0, early_drop +0 in 1.00s"
        )
        #expect(values[3][path: "log", "level"]?.stringValue == "warn", "CPU 0 lost an insert race")
        #expect(values[4][path: "log", "level"]?.stringValue == "info", "CPU 1's race was resolved")
        #expect(values[3][path: "ctwatch", "stats", "cpu"]?.unsignedValue == 0)
        #expect(
            values[8][path: "ctwatch", "stats", "went_down"]
                == .array(["invalid", "insert", "clash_resolve"].map(JSONValue.string)))
        #expect(values[2][path: "ctwatch", "stats", "went_down"] == nil && values[2][path: "event", "duration"] == nil)
    }

    @Test("JSON: the schema check catches a wrong line (it is not vacuous)")
    func schemaCheckBites() throws {
        var lines = String(decoding: Self.json(Array(Self.samples().prefix(2))), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(
            JSONLineSchema.statisticsOutputProblems(stdout: Array((lines.joined(separator: "\n") + "\n").utf8), cpus: 2)
                == [])
        // The second sample's total no longer sums its CPUs' changes.
        let changed = try #require(lines[5].range(of: "\"clash_resolve\":1", options: .backwards))
        lines[5].replaceSubrange(changed, with: "\"clash_resolve\":2")
        let problems = JSONLineSchema.statisticsOutputProblems(
            stdout: Array((lines.joined(separator: "\n") + "\n").utf8), cpus: 2)
        #expect(problems.contains { $0.contains("total change.clash_resolve is 2, the CPUs sum to 1") }, "\(problems)")
        #expect(!JSONLineSchema.statisticsOutputProblems(stdout: Self.json(Self.samples()), cpus: 3).isEmpty)
    }

    @Test("JSON: a line stays small with hundreds of CPUs, since each CPU has its own")
    func manyCPUs() {
        let big: [[StatisticsCounter: UInt64]] = (0..<512).map { _ in
            Dictionary(uniqueKeysWithValues: StatisticsCounter.allCases.map { ($0, UInt64(UInt32.max)) })
        }
        var sampler = StatisticsSampler()
        let statistics = Self.reading(entries: .max, max: .max, big)
        _ = sampler.sample(statistics, time: Self.start, monotonicNanoseconds: 0)
        let stdout = Self.json([sampler.sample(statistics, time: Self.start, monotonicNanoseconds: 10)])
        let lines = stdout.split(separator: 0x0a)
        #expect(lines.count == 513)
        #expect(lines.allSatisfy { $0.count < 1024 })
        let total = JSONLineSchema.checkOutput(stdout).values.last
        #expect(total?[path: "ctwatch", "stats", "counters", "found"]?.unsignedValue == 512 * UInt64(UInt32.max))
    }
}
