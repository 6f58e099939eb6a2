import CTWatchCore
import CTWatchMetrics
import Conntrack
import TestSupport
import Testing

@Suite("AgentMetrics: names, labels and values of the exposition")
struct AgentMetricsTests {
    /// A TCP call to a ClusterIP, DNAT'ed and unreplied, recorded from the kernel with bridge-nf off.
    static let stuckV4 = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow

    static func finding(_ flow: Flow, cleared: StuckTracker.ClearReason? = nil) -> StuckFinding {
        StuckFinding(
            flow: flow, since: WallTime(nanoseconds: 1_795_739_900_000_000_000), age: 12_000_000_000,
            ageFromKernel: false, subnet: try! CIDR(parsing: "10.224.1.0/24"),
            attribution: Attribution(service: KubeObjectRef(namespace: "shop", name: "cart")),
            diagnosis: StuckRules.diagnose(flow, bridgeNetfilter: [.ipv4: false], namespace: .named("node")),
            cleared: cleared)
    }

    /// The value of the sample written exactly `series` (name and labels as exposed).
    static func sample(_ exposition: String, _ series: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }

    static func table(
        insertFailed: UInt32, clash: UInt32, otherInsertFailed: UInt32 = 1, entries: UInt32 = 1200
    ) -> TableStatistics {
        var cpu0 = CPUStatistics(cpu: 0)
        cpu0.counts.insertFailed = UInt64(insertFailed)
        cpu0.counts.clashResolve = UInt64(clash)
        cpu0.counts.drop = 2
        var cpu1 = CPUStatistics(cpu: 1)
        cpu1.counts.insertFailed = UInt64(otherInsertFailed)
        cpu1.counts.earlyDrop = 4
        return TableStatistics(entries: entries, maxEntries: 262_144, perCPU: [cpu0, cpu1])
    }

    @Test("kernel counters summed over CPUs grow by each CPU's change: a CPU that wraps or restarts adds only its own")
    func statisticsByCPU() {
        let metrics = AgentMetrics(version: "0.1.0")
        metrics.observe(Self.table(insertFailed: 5, clash: 7))
        var text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_insert_failed_total") == 6)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_clash_resolve_total") == 7)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_drop_total") == 2)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_early_drop_total") == 4)
        #expect(Self.sample(text, "ctwatch_conntrack_entries") == 1200)
        #expect(Self.sample(text, "ctwatch_conntrack_entries_limit") == 262_144)
        metrics.observe(Self.table(insertFailed: 9, clash: 7))
        text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_insert_failed_total") == 10)
        // CPU 0's counters went down (a wrap, a reload) while CPU 1's grew by 4:
        // CPU 0 adds its new counts, CPU 1 its change; nothing is added twice.
        metrics.observe(Self.table(insertFailed: 2, clash: 3, otherInsertFailed: 5))
        text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_insert_failed_total") == 16)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_clash_resolve_total") == 10)
        #expect(Self.sample(text, "ctwatch_conntrack_stat_drop_total") == 2, "unchanged counters add nothing")
    }

    @Test("stuck flows by Service and reason: a series per label set, gone when its flows clear")
    func stuckSeries() {
        let metrics = AgentMetrics(version: "0.1.0")
        var ledger = StuckLedger()
        let series = ledger.record(Self.finding(Self.stuckV4))
        metrics.record(ledger, newlyStuck: series.map { [$0] } ?? [])
        var text = String(decoding: metrics.render(), as: UTF8.self)
        let labels = #"{namespace="shop",service="cart",reason="bridge-nf-call-iptables-disabled"}"#
        #expect(Self.sample(text, "ctwatch_stuck_flows" + labels) == 1, "\(text)")
        #expect(
            Self.sample(text, #"ctwatch_stuck_flows_detected_total{reason="bridge-nf-call-iptables-disabled"}"#) == 1)
        ledger.record(Self.finding(Self.stuckV4, cleared: .replied))
        metrics.record(ledger, newlyStuck: [])
        text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(!text.contains("ctwatch_stuck_flows{"), "\(text)")
        #expect(
            Self.sample(text, #"ctwatch_stuck_flows_detected_total{reason="bridge-nf-call-iptables-disabled"}"#) == 1)
    }

    @Test("events by type, losses as the socket's drop count, resyncs, the API's state, the build")
    func counters() {
        let metrics = AgentMetrics(version: "0.1.0")
        let event = ConntrackEvent(kind: .new, flow: Self.stuckV4, received: WallTime(nanoseconds: 1))
        let destroy = ConntrackEvent(kind: .destroy, flow: Self.stuckV4, received: WallTime(nanoseconds: 2))
        metrics.record([.event(event), .event(event), .event(destroy)])
        metrics.record([
            .lost(
                EventLoss(
                    overruns: 1, receiveBufferSize: 1 << 27, detected: WallTime(nanoseconds: 3), droppedMessages: 420))
        ])
        metrics.resynced()
        // The socket's drop count, read at a scrape, runs on after the overrun was told.
        metrics.observeDroppedMessages(900)
        metrics.observeKubernetes(
            synced: ["pods", "services"], watchRestarts: ["pods": 2], resources: ["pods", "services", "nodes"])
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(Self.sample(text, #"ctwatch_conntrack_events_total{type="new"}"#) == 2)
        #expect(Self.sample(text, #"ctwatch_conntrack_events_total{type="destroy"}"#) == 1)
        #expect(Self.sample(text, #"ctwatch_conntrack_events_total{type="update"}"#) == 0)
        #expect(Self.sample(text, "ctwatch_conntrack_events_lost_total") == 900)
        #expect(Self.sample(text, "ctwatch_receive_buffer_bytes") == Double(1 << 27))
        #expect(Self.sample(text, "ctwatch_conntrack_resyncs_total") == 1)
        #expect(Self.sample(text, #"ctwatch_kubernetes_synced{resource="pods"}"#) == 1)
        #expect(Self.sample(text, #"ctwatch_kubernetes_synced{resource="nodes"}"#) == 0)
        #expect(Self.sample(text, #"ctwatch_kubernetes_watch_restarts_total{resource="pods"}"#) == 2)
        #expect(Self.sample(text, #"ctwatch_build_info{version="0.1.0"}"#) == 1)
        #expect((Self.sample(text, "process_cpu_seconds_total") ?? 0) > 0)
        #expect((Self.sample(text, "process_open_fds") ?? 0) >= 3)
        #expect((Self.sample(text, "process_max_fds") ?? 0) >= 3)
    }

    @Test("promtool check metrics accepts the whole exposition (Debian's prometheus package)", .tools("promtool"))
    func promtool() async throws {
        let metrics = AgentMetrics(version: "0.1.0")
        metrics.observe(Self.table(insertFailed: 1, clash: 1))
        var ledger = StuckLedger()
        let series = ledger.record(Self.finding(Self.stuckV4))
        metrics.record(ledger, newlyStuck: series.map { [$0] } ?? [])
        metrics.observeKubernetes(synced: ["pods"], watchRestarts: [:], resources: ["pods", "nodes"])
        metrics.observe(BridgeNetfilterState(sysctls: [.ipv4: false]))
        let text = String(decoding: metrics.render(), as: UTF8.self)
        let lint = try await Subprocess.run("promtool", ["check", "metrics"], stdin: text)
        #expect(lint.status == 0, "\(lint)\n\(text)")
    }
}
