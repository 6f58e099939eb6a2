/// StatisticsCounter names one of conntrack's per-CPU counters (`CTA_STATS_*`
/// in linux/netfilter/nfnetlink_conntrack.h), in the order `conntrack -S`
/// prints them. The kernel keeps each as a 32-bit count per CPU and per
/// network namespace, from the namespace's creation (or the module's load).
public enum StatisticsCounter: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// CTA_STATS_FOUND: lookups that found an entry.
    case found
    /// CTA_STATS_INVALID: packets conntrack could not track (bad headers, invalid TCP flags).
    case invalid
    /// CTA_STATS_INSERT: entries inserted into the table.
    case insert
    /// CTA_STATS_INSERT_FAILED: entries that lost an insert race and whose packet was
    /// dropped (two packets of one new flow, typically a DNS client's A and AAAA
    /// queries from one socket through a DNAT): the five-second DNS delay.
    case insertFailed
    /// CTA_STATS_DROP: packets dropped because the table was full and nothing could be evicted.
    case drop
    /// CTA_STATS_EARLY_DROP: entries evicted to make room in a full table.
    case earlyDrop
    /// CTA_STATS_ERROR: ICMP errors and packets conntrack rejected as errors.
    case error
    /// CTA_STATS_SEARCH_RESTART: lookups restarted because the hash table was resized under them.
    case searchRestart
    /// CTA_STATS_CLASH_RESOLVE: insert races the kernel resolved without dropping (5.x+ for UDP).
    case clashResolve
    /// CTA_STATS_CHAIN_TOOLONG: inserts refused because a hash chain was too long.
    case chainTooLong

    /// The kernel's and `conntrack -S`'s name: `insert_failed`, `chaintoolong`.
    public var name: String {
        switch self {
        case .found: "found"
        case .invalid: "invalid"
        case .insert: "insert"
        case .insertFailed: "insert_failed"
        case .drop: "drop"
        case .earlyDrop: "early_drop"
        case .error: "error"
        case .searchRestart: "search_restart"
        case .clashResolve: "clash_resolve"
        case .chainTooLong: "chaintoolong"
        }
    }

    public var description: String { name }
}

/// StatisticsCounts holds one value per StatisticsCounter: one CPU's counters,
/// their sum over CPUs, or their change between two samples. A counter the
/// kernel did not send (kernels before 5.x lack `clash_resolve` and
/// `chaintoolong`) reads 0.
public struct StatisticsCounts: Sendable, Hashable {
    public var found: UInt64 = 0
    public var invalid: UInt64 = 0
    public var insert: UInt64 = 0
    public var insertFailed: UInt64 = 0
    public var drop: UInt64 = 0
    public var earlyDrop: UInt64 = 0
    public var error: UInt64 = 0
    public var searchRestart: UInt64 = 0
    public var clashResolve: UInt64 = 0
    public var chainTooLong: UInt64 = 0

    public init() {}

    public static let zero = StatisticsCounts()

    public subscript(counter: StatisticsCounter) -> UInt64 {
        get {
            switch counter {
            case .found: found
            case .invalid: invalid
            case .insert: insert
            case .insertFailed: insertFailed
            case .drop: drop
            case .earlyDrop: earlyDrop
            case .error: error
            case .searchRestart: searchRestart
            case .clashResolve: clashResolve
            case .chainTooLong: chainTooLong
            }
        }
        set {
            switch counter {
            case .found: found = newValue
            case .invalid: invalid = newValue
            case .insert: insert = newValue
            case .insertFailed: insertFailed = newValue
            case .drop: drop = newValue
            case .earlyDrop: earlyDrop = newValue
            case .error: error = newValue
            case .searchRestart: searchRestart = newValue
            case .clashResolve: clashResolve = newValue
            case .chainTooLong: chainTooLong = newValue
            }
        }
    }

    /// The counter-by-counter sum (wrapping at 2^64, which sums of 32-bit counters never reach).
    public static func + (a: StatisticsCounts, b: StatisticsCounts) -> StatisticsCounts {
        var sum = a
        for counter in StatisticsCounter.allCases { sum[counter] = a[counter] &+ b[counter] }
        return sum
    }

    /// The change of each counter since `earlier`, and which counters went
    /// down. A counter that went down restarted from zero (the module was
    /// reloaded, the namespace re-created) or wrapped at 2^32: its change is
    /// its value now, what it counted since it restarted. That is never
    /// negative and never larger than what really happened; after a wrap it
    /// misses the counts between `earlier` and 2^32. Prometheus treats a
    /// counter that goes down the same way.
    public func change(since earlier: StatisticsCounts) -> (change: StatisticsCounts, wentDown: Set<StatisticsCounter>)
    {
        var change = StatisticsCounts()
        var wentDown: Set<StatisticsCounter> = []
        for counter in StatisticsCounter.allCases {
            let now = self[counter]
            let before = earlier[counter]
            if now >= before {
                change[counter] = now - before
            } else {
                change[counter] = now
                wentDown.insert(counter)
            }
        }
        return (change, wentDown)
    }
}

/// CPUStatistics are one CPU's conntrack counters (`conntrack -S`'s line `cpu=N`).
public struct CPUStatistics: Sendable, Hashable {
    /// The CPU's number (the kernel's `nfgenmsg.res_id`).
    public var cpu: Int
    public var counts: StatisticsCounts

    public init(cpu: Int, counts: StatisticsCounts = StatisticsCounts()) {
        self.cpu = cpu
        self.counts = counts
    }
}

/// TableStatistics are one reading of a namespace's conntrack statistics: its
/// entry count, the table's limit and the per-CPU counters (`conntrack -C`,
/// `conntrack -S`). A plain value, safe to share; compare two readings with
/// `delta(since:)`.
public struct TableStatistics: Sendable, Hashable {
    /// CTA_STATS_GLOBAL_ENTRIES: the entries of the namespace the handle reads
    /// (`conntrack -C` there), not of the whole host.
    public var entries: UInt32
    /// CTA_STATS_GLOBAL_MAX_ENTRIES: `net.netfilter.nf_conntrack_max`, one value
    /// for the whole host (read-only inside other namespaces). 0 means no limit.
    /// When the kernel does not send it, the handle reads the sysctl; nil when
    /// that fails too.
    public var maxEntries: UInt32?
    /// One record per possible CPU, in the kernel's order (ascending CPU numbers).
    public var perCPU: [CPUStatistics]

    public init(entries: UInt32, maxEntries: UInt32?, perCPU: [CPUStatistics]) {
        self.entries = entries
        self.maxEntries = maxEntries
        self.perCPU = perCPU
    }

    /// Each counter summed over every CPU: what `ctwatch_conntrack_stat_*_total` exports.
    public var total: StatisticsCounts { perCPU.reduce(StatisticsCounts()) { $0 + $1.counts } }

    /// How full the table is, 0 to 1 (more when over the limit); nil without a limit.
    public var fill: Double? {
        guard let maxEntries, maxEntries > 0 else { return nil }
        return Double(entries) / Double(maxEntries)
    }

    /// What changed since `earlier` (a reading of the same namespace), CPU by
    /// CPU. A CPU missing from `earlier` has no baseline: its change is zero.
    /// A counter that went down counts from zero (see `StatisticsCounts.change(since:)`).
    /// The total change is the sum of the CPUs' changes, so one CPU's restart
    /// never makes the total negative or huge.
    public func delta(since earlier: TableStatistics) -> StatisticsDelta {
        let before = Dictionary(earlier.perCPU.map { ($0.cpu, $0.counts) }, uniquingKeysWith: { first, _ in first })
        var perCPU: [CPUStatistics] = []
        perCPU.reserveCapacity(self.perCPU.count)
        var total = StatisticsCounts()
        var wentDown: Set<StatisticsCounter> = []
        for cpu in self.perCPU {
            guard let baseline = before[cpu.cpu] else {
                perCPU.append(CPUStatistics(cpu: cpu.cpu))
                continue
            }
            let (change, down) = cpu.counts.change(since: baseline)
            perCPU.append(CPUStatistics(cpu: cpu.cpu, counts: change))
            total = total + change
            wentDown.formUnion(down)
        }
        return StatisticsDelta(
            perCPU: perCPU, total: total, entries: Int64(entries) - Int64(earlier.entries), wentDown: wentDown)
    }
}

/// StatisticsDelta is the change between two TableStatistics readings.
public struct StatisticsDelta: Sendable, Hashable {
    /// Each CPU's change, in the order of the later reading.
    public var perCPU: [CPUStatistics]
    /// The sum of the CPUs' changes.
    public var total: StatisticsCounts
    /// The change of the entry count (a gauge: negative when entries went away).
    public var entries: Int64
    /// The counters that went down on some CPU (restarted or wrapped) and so
    /// count from zero in this change.
    public var wentDown: Set<StatisticsCounter>

    public init(perCPU: [CPUStatistics], total: StatisticsCounts, entries: Int64, wentDown: Set<StatisticsCounter>) {
        self.perCPU = perCPU
        self.total = total
        self.entries = entries
        self.wentDown = wentDown
    }
}
