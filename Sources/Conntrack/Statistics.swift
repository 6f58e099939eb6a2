/// CPUStatistics are one CPU's conntrack counters (`CTA_STATS_*`, as
/// `conntrack -S` prints them).
public struct CPUStatistics: Sendable, Hashable {
    public var cpu: Int
    public var found: UInt32 = 0
    public var invalid: UInt32 = 0
    public var insert: UInt32 = 0
    public var insertFailed: UInt32 = 0
    public var drop: UInt32 = 0
    public var earlyDrop: UInt32 = 0
    public var error: UInt32 = 0
    public var searchRestart: UInt32 = 0
    public var clashResolve: UInt32 = 0
    public var chainTooLong: UInt32 = 0
    public init(cpu: Int) { self.cpu = cpu }
}

/// TableStatistics are the entry count, the table's limit and per-CPU counters.
public struct TableStatistics: Sendable, Hashable {
    /// CTA_STATS_GLOBAL_ENTRIES: entries in the table (all namespaces count towards the limit).
    public var entries: UInt32
    /// CTA_STATS_GLOBAL_MAX_ENTRIES: nf_conntrack_max.
    public var maxEntries: UInt32
    public var perCPU: [CPUStatistics]

    public init(entries: UInt32, maxEntries: UInt32, perCPU: [CPUStatistics]) {
        self.entries = entries
        self.maxEntries = maxEntries
        self.perCPU = perCPU
    }

    /// The sum of one counter over every CPU.
    public func total(_ counter: KeyPath<CPUStatistics, UInt32>) -> UInt64 {
        perCPU.reduce(0) { $0 + UInt64($1[keyPath: counter]) }
    }
}
