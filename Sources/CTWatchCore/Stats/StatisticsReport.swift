import Conntrack

/// StatisticsSample is one reading of `ctwatch stats`: the statistics, when
/// they were read, and their change since the reading before (none for the first).
public struct StatisticsSample: Sendable, Hashable {
    public var time: WallTime
    public var statistics: TableStatistics
    public var change: StatisticsDelta?
    /// Nanoseconds between the previous reading and this one (monotonic clock), with `change`.
    public var interval: UInt64?

    public init(time: WallTime, statistics: TableStatistics, change: StatisticsDelta? = nil, interval: UInt64? = nil) {
        self.time = time
        self.statistics = statistics
        self.change = change
        self.interval = interval
    }
}

/// StatisticsSampler turns successive readings into samples, each with its
/// change since the one before. Not thread-safe: one owner.
public struct StatisticsSampler: Sendable {
    private var previous: (statistics: TableStatistics, monotonic: UInt64)?

    public init() {}

    /// The sample of `statistics`, read at `time` and at `monotonicNanoseconds` on the monotonic clock.
    public mutating func sample(
        _ statistics: TableStatistics, time: WallTime, monotonicNanoseconds: UInt64
    ) -> StatisticsSample {
        defer { previous = (statistics, monotonicNanoseconds) }
        guard let previous else { return StatisticsSample(time: time, statistics: statistics) }
        return StatisticsSample(
            time: time, statistics: statistics, change: statistics.delta(since: previous.statistics),
            interval: monotonicNanoseconds &- previous.monotonic)
    }
}

/// StatisticsReport renders `ctwatch stats` samples: a table per sample for
/// people, and `ctwatch.stats` JSON lines (one per CPU, then the total) for pipelines.
public enum StatisticsReport {
    /// The columns, the five-second DNS delay's first (`insert_failed`: the
    /// race lost and the packet dropped; `clash_resolve`: the race resolved),
    /// then the full table's, then the rest.
    public static let columns: [StatisticsCounter] = [
        .insertFailed, .clashResolve, .drop, .earlyDrop, .chainTooLong, .searchRestart, .insert, .found, .invalid,
        .error,
    ]

    /// Counters whose change means packets were lost: a line that has one warns.
    static let lossCounters: [StatisticsCounter] = [.insertFailed, .drop, .earlyDrop]

    // MARK: Text

    /// `entries 3 of 262144 (0.0%)`, with the change when known.
    static func entriesText(_ statistics: TableStatistics, change: StatisticsDelta?) -> String {
        var text = "entries \(statistics.entries)"
        switch statistics.maxEntries {
        case 0?: text += " (no limit)"
        case let limit?:
            let percent = Double(statistics.entries) / Double(limit) * 100
            text += " of \(limit) (\(percentText(percent)))"
        case nil: text += " (limit unknown)"
        }
        if let change { text += " " + (change.entries >= 0 ? "+" : "") + "\(change.entries)" }
        return text
    }

    static func percentText(_ percent: Double) -> String {
        let tenths = Int((percent * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// `1.00s`: hundredths of a second.
    static func secondsText(_ nanoseconds: UInt64) -> String {
        let hundredths = (nanoseconds + 5_000_000) / 10_000_000
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)s"
    }

    /// The sample as text: a heading line, the column header, one row per CPU,
    /// the total, and an empty line. The first sample shows the counters since
    /// they started (the namespace's creation); the others show the change.
    public static func textLines(_ sample: StatisticsSample) -> [String] {
        var heading = RFC3339.seconds(sample.time) + "  " + entriesText(sample.statistics, change: sample.change)
        let rows: [(String, StatisticsCounts)]
        if let change = sample.change {
            heading += "  change in " + secondsText(sample.interval ?? 0)
            if !change.wentDown.isEmpty {
                let names = StatisticsCounter.allCases.filter { change.wentDown.contains($0) }.map(\.name)
                heading += " (\(names.joined(separator: ", ")) went down: restarted, counted from 0)"
            }
            rows = change.perCPU.map { (String($0.cpu), $0.counts) } + [("total", change.total)]
        } else {
            heading += "  counts since the counters started"
            rows = sample.statistics.perCPU.map { (String($0.cpu), $0.counts) } + [("total", sample.statistics.total)]
        }
        let header = ["CPU"] + columns.map { $0.name.uppercased() }
        let cells = rows.map { row in [row.0] + columns.map { String(row.1[$0]) } }
        let widths = header.indices.map { column in
            ([header] + cells).map { $0[column].count }.max() ?? 0
        }
        func line(_ values: [String]) -> String {
            var text = ""
            for (column, value) in values.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - value.count)
                // The CPU column reads left to right; numbers line up on their last digit.
                text += column == 0 ? value + padding : "  " + padding + value
            }
            return text
        }
        return [heading, line(header)] + cells.map(line) + [""]
    }

    // MARK: JSON

    /// The sample as `ctwatch.stats` JSON lines: one per CPU, then the total
    /// (with the entries and their limit). One line per CPU keeps every line
    /// small on a machine with hundreds of CPUs.
    public static func appendJSON(_ sample: StatisticsSample, into json: inout JSONWriter<some ByteOutput>) {
        let statistics = sample.statistics
        let changes = sample.change.map { Dictionary(uniqueKeysWithValues: $0.perCPU.map { ($0.cpu, $0.counts) }) }
        for cpu in statistics.perCPU {
            appendLine(
                sample, cpu: cpu.cpu, counts: cpu.counts, change: changes.map { $0[cpu.cpu] ?? .zero }, into: &json)
        }
        appendLine(sample, cpu: nil, counts: statistics.total, change: sample.change?.total, into: &json)
    }

    private static func appendLine(
        _ sample: StatisticsSample, cpu: Int?, counts: StatisticsCounts, change: StatisticsCounts?,
        into json: inout JSONWriter<some ByteOutput>
    ) {
        let statistics = sample.statistics
        let lost = change.map { change in lossCounters.contains { change[$0] > 0 } } ?? false
        var message = cpu.map { "conntrack statistics of cpu \($0):" } ?? "conntrack statistics:"
        if cpu == nil { message += " " + entriesText(statistics, change: sample.change) + "," }
        let shown = columns.prefix(4).map { counter in
            counter.name + " " + (change.map { "+\($0[counter])" } ?? String(counts[counter]))
        }
        message += " " + shown.joined(separator: ", ")
        message += change == nil ? " since the counters started" : " in " + secondsText(sample.interval ?? 0)

        json.beginObject()
        FlowFormatter.writeHeader(&json, timestamp: sample.time, level: lost ? "warn" : "info", message: message)
        json.beginObject("event")
        json.field("kind", "metric" as StaticString)
        json.field("action", "conntrack-statistics" as StaticString)
        json.field("dataset", "ctwatch.stats" as StaticString)
        if change != nil, let interval = sample.interval { json.field("duration", interval) }
        json.endObject()
        json.beginObject("ctwatch")
        json.beginObject("stats")
        if let cpu {
            json.field("scope", "cpu" as StaticString)
            json.field("cpu", cpu)
        } else {
            json.field("scope", "total" as StaticString)
            json.field("entries", statistics.entries)
            if let limit = statistics.maxEntries { json.field("entries_limit", limit) }
            if let entries = sample.change?.entries { json.field("entries_change", entries) }
        }
        json.beginObject("counters")
        writeCounts(counts, into: &json)
        json.endObject()
        if let change {
            json.beginObject("change")
            writeCounts(change, into: &json)
            json.endObject()
        }
        if cpu == nil, let wentDown = sample.change?.wentDown, !wentDown.isEmpty {
            json.beginArray("went_down")
            for counter in StatisticsCounter.allCases where wentDown.contains(counter) { json.element(counter.name) }
            json.endArray()
        }
        json.endObject()
        json.endObject()
        json.endObject()
        json.newline()
    }

    private static func writeCounts(_ counts: StatisticsCounts, into json: inout JSONWriter<some ByteOutput>) {
        json.field("found", counts.found)
        json.field("invalid", counts.invalid)
        json.field("insert", counts.insert)
        json.field("insert_failed", counts.insertFailed)
        json.field("drop", counts.drop)
        json.field("early_drop", counts.earlyDrop)
        json.field("error", counts.error)
        json.field("search_restart", counts.searchRestart)
        json.field("clash_resolve", counts.clashResolve)
        json.field("chaintoolong", counts.chainTooLong)
    }
}
