import CTWatchCore
import Conntrack
import Prometheus
import Synchronization

/// AgentMetrics are what a long-running ctwatch (`stuck --watch`, `events`)
/// exposes to Prometheus, named as node_exporter's `node_nf_conntrack_*` and
/// kube-proxy's conntrack metrics are: `_total` counters, `_seconds`, and
/// labels of low cardinality (a Service, a diagnosis code, a bridge).
///
/// The event path only adds to counters (atomics, no lock held across any
/// work); what is read from the kernel or the cluster (the table, its
/// per-CPU statistics, the bridges, the API's state) is set by `observe`
/// calls, typically just before each scrape. Safe to use from any task.
public final class AgentMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    private let events: [EventKind: Counter]
    private let eventsLost: MirroredCounter
    private let resyncs: Counter
    private let receiveBuffer: Gauge
    private let entries: Gauge
    private let entriesLimit: Gauge
    private let statistics: [(StatisticsCounter, Counter)]
    /// The statistics read last: the counters grow by the change per CPU since.
    private let lastTable = Mutex<TableStatistics?>(nil)
    private let process: ProcessMetrics
    private let labelled = Mutex(Labelled())

    /// The series with labels that come and go.
    private struct Labelled {
        var stuck: [StuckLedger.Series: Gauge] = [:]
        var detected: [String: Counter] = [:]
        var bridges: [BridgeKey: Gauge] = [:]
        var synced: [String: Gauge] = [:]
        var restarts: [String: MirroredCounter] = [:]
    }

    private struct BridgeKey: Hashable {
        var bridge: String
        var family: String
    }

    /// The conntrack statistics exposed, summed over CPUs:
    /// `ctwatch_conntrack_stat_<name>_total`, `name` as `conntrack -S` says it.
    public static let exposedStatistics: [(StatisticsCounter, String)] = [
        (.insertFailed, "entries that could not be inserted (a clash not resolved: the packet is dropped)"),
        (.drop, "packets dropped because the table was full or an entry could not be made"),
        (.earlyDrop, "entries evicted to make room in a full table"),
        (.clashResolve, "insertion clashes resolved (the race behind the 5 s DNS delay)"),
        (.chainTooLong, "hash chains found too long (a sign of a hash flood)"),
        (.searchRestart, "table lookups restarted after a concurrent resize"),
    ]

    /// `version` goes into `ctwatch_build_info`.
    public init(version: String) {
        let registry = registry
        var events: [EventKind: Counter] = [:]
        for kind in EventKind.allCases {
            events[kind] = registry.counter(
                "ctwatch_conntrack_events_total", labels: [("type", kind.tag.lowercased())],
                help: "Conntrack events read from the kernel, by type.")
        }
        self.events = events
        eventsLost = MirroredCounter(
            registry.counter(
                "ctwatch_conntrack_events_lost_total",
                help:
                    "Conntrack event messages the kernel dropped because ctwatch's receive buffer was full "
                    + "(the socket's drop count; at least one per overrun when the kernel does not tell)."))
        resyncs = registry.counter(
            "ctwatch_conntrack_resyncs_total",
            help: "Full dumps of the table made to catch up after lost events (stuck --watch).")
        receiveBuffer = registry.gauge(
            "ctwatch_receive_buffer_bytes",
            help: "The event socket's receive buffer; it grows after an overrun, up to --max-buffer-size.")
        entries = registry.gauge(
            "ctwatch_conntrack_entries", help: "Entries in the conntrack table (nf_conntrack_count).")
        entriesLimit = registry.gauge(
            "ctwatch_conntrack_entries_limit", help: "The table's size limit (nf_conntrack_max).")
        statistics = Self.exposedStatistics.map { counter, help in
            (
                counter,
                registry.counter(
                    "ctwatch_conntrack_stat_\(counter.name)_total", help: "Summed over CPUs: \(help).")
            )
        }
        registry.gauge(
            "ctwatch_build_info", labels: [("version", version)],
            help: "Always 1; the version of the ctwatch that serves these metrics."
        ).set(Int64(1))
        process = ProcessMetrics(registry: registry)
    }

    // MARK: the event path

    /// Counts the events of one batch read from the subscription.
    public func record(_ batch: [EventStreamElement]) {
        var new: Int64 = 0
        var update: Int64 = 0
        var destroy: Int64 = 0
        for element in batch {
            guard case .event(let event) = element else {
                if case .lost(let loss) = element { record(loss) }
                continue
            }
            switch event.kind {
            case .new: new += 1
            case .update: update += 1
            case .destroy: destroy += 1
            }
        }
        if new > 0 { events[.new]?.increment(by: new) }
        if update > 0 { events[.update]?.increment(by: update) }
        if destroy > 0 { events[.destroy]?.increment(by: destroy) }
    }

    /// Takes an overrun: the messages lost so far and the buffer it grew to.
    public func record(_ loss: EventLoss) {
        eventsLost.mirror(loss.droppedMessages ?? UInt64(loss.overruns))
        receiveBuffer.set(Int64(loss.receiveBufferSize))
    }

    /// The receive buffer granted when subscribing.
    public func subscribed(receiveBufferSize: Int) {
        receiveBuffer.set(Int64(receiveBufferSize))
    }

    /// A resync from a dump after lost events.
    public func resynced() {
        resyncs.increment()
    }

    // MARK: stuck flows

    /// Takes the stuck and cleared findings of a watch: sets the gauge of
    /// each series the ledger holds (a series with no flow left disappears)
    /// and counts the flows newly stuck by reason.
    public func record(_ ledger: StuckLedger, newlyStuck: [StuckLedger.Series]) {
        labelled.withLock { labelled in
            for series in newlyStuck {
                let counter =
                    labelled.detected[series.reason]
                    ?? registry.counter(
                        "ctwatch_stuck_flows_detected_total", labels: [("reason", series.reason)],
                        help: "Flows found stuck, by diagnosis code, since ctwatch started.")
                labelled.detected[series.reason] = counter
                counter.increment()
            }
            for (series, gauge) in labelled.stuck where ledger.counts[series] == nil {
                registry.unregisterGauge(gauge)
                labelled.stuck[series] = nil
            }
            for (series, count) in ledger.counts {
                let gauge =
                    labelled.stuck[series]
                    ?? registry.gauge(
                        "ctwatch_stuck_flows",
                        labels: [
                            ("namespace", series.namespace), ("service", series.service), ("reason", series.reason),
                        ],
                        help:
                            "DNAT flows stuck now (reported and not cleared), by Service and diagnosis code; "
                            + "empty labels when the Service is unknown.")
                labelled.stuck[series] = gauge
                gauge.set(Int64(count))
            }
        }
    }

    // MARK: what is read before a scrape

    /// Sets the table's size and the per-CPU statistics summed. An
    /// unknown limit leaves `ctwatch_conntrack_entries_limit` as it was.
    ///
    /// The counters grow by the change of each CPU's counter since the last
    /// read (`TableStatistics.delta`): a 32-bit counter of one CPU that wraps
    /// or restarts adds what it counted since, never the other CPUs' totals
    /// again. The first read adds the totals so far.
    public func observe(_ table: TableStatistics) {
        entries.set(Int64(table.entries))
        if let limit = table.maxEntries { entriesLimit.set(Int64(limit)) }
        let grown = lastTable.withLock { last -> StatisticsCounts in
            defer { last = table }
            return last.map { table.delta(since: $0).total } ?? table.total
        }
        for (counter, metric) in statistics where grown[counter] > 0 {
            metric.increment(by: Int64(clamping: grown[counter]))
        }
    }

    /// Follows the event socket's drop count (the kernel counts on after the
    /// one ENOBUFS of an overrun episode), read when a scrape asks.
    public func observeDroppedMessages(_ dropped: UInt64) {
        eventsLost.mirror(dropped)
    }

    /// Sets whether each bridge's traffic of each family passes the tables
    /// (and conntrack): the doctor's view.
    public func observe(_ bridges: BridgeNetfilterState) {
        labelled.withLock { labelled in
            var seen = Set<BridgeKey>()
            for bridge in bridges.bridges {
                for family in [IPAddress.Family.ipv4, .ipv6] {
                    let key = BridgeKey(bridge: bridge.name, family: family == .ipv4 ? "ipv4" : "ipv6")
                    seen.insert(key)
                    let gauge =
                        labelled.bridges[key]
                        ?? registry.gauge(
                            "ctwatch_bridge_netfilter_enabled",
                            labels: [("bridge", key.bridge), ("family", key.family)],
                            help:
                                "1 when the bridge's traffic of that family passes iptables/ip6tables and conntrack "
                                + "(bridge-nf-call sysctl or the bridge's own nf_call option); 0 when it is switched.")
                    labelled.bridges[key] = gauge
                    gauge.set(Int64(bridges.isOn(family, bridge: bridge) ? 1 : 0))
                }
            }
            for (key, gauge) in labelled.bridges where !seen.contains(key) {
                registry.unregisterGauge(gauge)
                labelled.bridges[key] = nil
            }
        }
    }

    /// Sets, per Kubernetes resource watched, whether it has been listed
    /// and how often its watch was made again.
    public func observeKubernetes(synced: Set<String>, watchRestarts: [String: Int], resources: [String]) {
        labelled.withLock { labelled in
            for resource in resources {
                let gauge =
                    labelled.synced[resource]
                    ?? registry.gauge(
                        "ctwatch_kubernetes_synced", labels: [("resource", resource)],
                        help: "1 once the resource has been listed from the Kubernetes API, else 0.")
                labelled.synced[resource] = gauge
                gauge.set(Int64(synced.contains(resource) ? 1 : 0))
                let counter =
                    labelled.restarts[resource]
                    ?? MirroredCounter(
                        registry.counter(
                            "ctwatch_kubernetes_watch_restarts_total", labels: [("resource", resource)],
                            help:
                                "Watches of the resource made again: after each routine end (the server ends a "
                                + "watch every 5-10 minutes), a break, a failure or a relist."))
                labelled.restarts[resource] = counter
                counter.mirror(UInt64(max(0, watchRestarts[resource] ?? 0)))
            }
        }
    }

    /// The exposition, in the Prometheus text format, with the process's
    /// own metrics read now.
    public func render() -> [UInt8] {
        process.observe()
        return registry.emitToBuffer()
    }
}

/// MirroredCounter is a Prometheus counter that follows a count kept
/// elsewhere (the kernel's statistics, a socket's drop count): it adds what
/// the count grew by since the last look. A count that went down (a reset:
/// the module reloaded, a new socket) adds its new value, as Prometheus'
/// `rate()` reads a reset.
final class MirroredCounter: Sendable {
    let counter: Counter
    private let last = Mutex<UInt64>(0)

    init(_ counter: Counter) {
        self.counter = counter
    }

    func mirror(_ value: UInt64) {
        let grown = last.withLock { last -> UInt64 in
            defer { last = value }
            return value >= last ? value - last : value
        }
        if grown > 0 { counter.increment(by: Int64(clamping: grown)) }
    }
}

extension PrometheusCollectorRegistry {
    /// A counter by its full name, through the descriptor API (the
    /// name-and-help form is deprecated in swift-prometheus 2.4).
    func counter(_ name: String, labels: [(String, String)] = [], help: String) -> Counter {
        makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    /// A gauge by its full name, the same way.
    func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }
}
