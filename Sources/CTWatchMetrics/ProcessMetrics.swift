import Conntrack
import FoundationEssentials
import Prometheus
import Synchronization

/// ProcessMetrics are the `process_*` metrics every Prometheus client
/// library exposes, read from /proc/self when a scrape asks: CPU seconds,
/// resident and virtual memory, open and allowed file descriptors, and the
/// start time. A value /proc does not give is left as it was.
final class ProcessMetrics: Sendable {
    private let cpu: Counter
    private let lastCPU = Mutex<Double>(0)
    private let resident: Gauge
    private let virtual: Gauge
    private let openFiles: Gauge
    private let maxFiles: Gauge

    init(registry: PrometheusCollectorRegistry) {
        cpu = registry.counter(
            "process_cpu_seconds_total", help: "User and system CPU time spent, in seconds.")
        resident = registry.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.")
        virtual = registry.gauge("process_virtual_memory_bytes", help: "Virtual memory size in bytes.")
        openFiles = registry.gauge("process_open_fds", help: "Number of open file descriptors.")
        maxFiles = registry.gauge("process_max_fds", help: "Maximum number of open file descriptors.")
        // Taken when the metrics are made, at the start of the run.
        registry.gauge(
            "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds."
        ).set(Double(WallTime.now().nanoseconds) / 1e9)
    }

    func observe() {
        let seconds = ProcessCPUClock.seconds()
        let grown = lastCPU.withLock { last -> Double in
            defer { last = max(last, seconds) }
            return seconds - last
        }
        if grown > 0 { cpu.increment(by: grown) }
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            if let kib = Self.field(status, "VmRSS:") { resident.set(kib * 1024) }
            if let kib = Self.field(status, "VmSize:") { virtual.set(kib * 1024) }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFiles.set(Int64(fds.count))
        }
        if let limits = try? String(contentsOfFile: "/proc/self/limits", encoding: .utf8),
            let soft = Self.field(limits, "Max open files")
        {
            maxFiles.set(soft)
        }
    }

    /// The first number after `label` on the line that starts with it.
    static func field(_ text: String, _ label: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix(label) {
            let rest = line.dropFirst(label.count)
            return rest.split(separator: " ").lazy.compactMap { Int64($0) }.first
        }
        return nil
    }
}
