import Foundation
import TestSupport
import Testing

/// `--metrics-address` scraped by a real Prometheus (Debian's server), both
/// running inside the test bed's node namespace on its loopback.
@Suite("metrics: a real Prometheus scrapes ctwatch", .privileged, .tools("prometheus", "promtool", "curl"))
struct MetricsTests {
    static let metricsPort = 9153
    static let prometheusPort = 9090

    /// Writes the offline Service files (so the stuck flow's series names
    /// shop/cart) and returns the arguments that load them.
    static func serviceFiles(in directory: URL) throws -> [String] {
        func write(_ name: String, _ items: [String]) throws -> String {
            try KubernetesLiveTests.writeList(items, to: directory.appendingPathComponent(name))
        }
        return [
            "--pods", try write("pods.json", KubernetesLiveTests.objects["v1/pods"] ?? []),
            "--services", try write("services.json", [KubernetesLiveTests.cart]),
        ]
    }

    /// A Prometheus server in the bed's node namespace scraping ctwatch every second.
    static func startPrometheus(_ bed: TestBed, directory: URL) throws -> RunningProcess {
        let config = directory.appendingPathComponent("prometheus.yml")
        try Data(
            """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: ctwatch
                static_configs:
                  - targets: ["127.0.0.1:\(metricsPort)"]
            """.utf8
        ).write(to: config)
        let prometheus = try Subprocess.resolve("prometheus")
        return try bed.start(
            .node,
            [
                prometheus, "--config.file=\(config.path)",
                "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(prometheusPort)", "--log.level=warn",
            ])
    }

    /// GET `path` on the node's loopback: status line code and body.
    static func get(_ bed: TestBed, port: Int, _ path: String) async throws -> (code: Int, body: String) {
        let result = try await bed.exec(
            .node,
            ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"])
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let code = Int(lines.popLast() ?? "") ?? 0
        return (code, lines.joined(separator: "\n"))
    }

    /// The series a PromQL instant query returns: labels and value.
    static func query(_ bed: TestBed, _ promQL: String) async throws -> [(labels: [String: String], value: Double)]? {
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promQL
        let (code, body) = try await get(bed, port: prometheusPort, "/api/v1/query?query=\(encoded)")
        guard code == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            object["status"] as? String == "success", let data = object["data"] as? [String: Any],
            let result = data["result"] as? [[String: Any]]
        else { return nil }
        return result.compactMap { series in
            guard let labels = series["metric"] as? [String: String], let pair = series["value"] as? [Any],
                pair.count == 2, let text = pair[1] as? String, let value = Double(text)
            else { return nil }
            return (labels, value)
        }
    }

    @Test(
        "stuck --watch: Prometheus sees the stuck flow by Service and reason, then sees it gone after the fix; promtool accepts the exposition"
    )
    func stuckSeries() async throws {
        try Privilege.require()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctw-metrics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try Self.serviceFiles(in: directory)
        try await TestBed.with { bed in
            // Off before the watch reads the bridges, so the flow is diagnosed by it.
            try await bed.bridgeNF(false)
            let watch = try bed.start(
                .node,
                [
                    try CTWatchBinary.path(), "stuck", "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                    "--resync-interval", "1", "--metrics-address", "127.0.0.1:\(Self.metricsPort)",
                ] + files)
            defer { watch.signal(SIGKILL) }
            let prometheus = try Self.startPrometheus(bed, directory: directory)
            defer { prometheus.signal(SIGKILL) }

            // Ready once the first dump is read; alive meanwhile.
            let ready = try await Poll.eventually(timeout: 60) {
                try await Self.get(bed, port: Self.metricsPort, "/readyz").code == 200
            }
            #expect(ready, "stderr: \(watch.stderrSoFar)")
            #expect(try await Self.get(bed, port: Self.metricsPort, "/healthz").code == 200)
            #expect(try await Self.get(bed, port: Self.metricsPort, "/nothing").code == 404)

            let call = try await bed.call(to: "cluster")
            #expect(call.status != 0, "with bridge-nf off the call hangs: \(call)")

            let wanted = [
                "job": "ctwatch", "namespace": "shop", "service": "cart", "reason": "bridge-nf-call-iptables-disabled",
            ]
            let seen = try await Poll.value(timeout: 90) { () -> Double? in
                try await Self.query(bed, "ctwatch_stuck_flows")?.first { series in
                    wanted.allSatisfy { series.labels[$0.key] == $0.value }
                }?.value
            }
            #expect((seen ?? 0) >= 1, "stdout: \(watch.stdoutSoFar)\nstderr: \(watch.stderrSoFar)")
            let detected = try await Self.query(
                bed, #"ctwatch_stuck_flows_detected_total{reason="bridge-nf-call-iptables-disabled"}"#)
            #expect((detected?.first?.value ?? 0) >= 1)
            let bridgeOff = try await Self.query(bed, #"ctwatch_bridge_netfilter_enabled{family="ipv4"}"#)
            #expect(bridgeOff?.isEmpty == false && bridgeOff?.allSatisfy { $0.value == 0 } == true)

            // The exposition passes Prometheus' own linter.
            let exposition = try await Self.get(bed, port: Self.metricsPort, "/metrics")
            let lint = try await Subprocess.run("promtool", ["check", "metrics"], stdin: exposition.body)
            #expect(lint.status == 0, "\(lint)\n\(exposition.body)")

            // The fix: the bridge's traffic goes through conntrack again, and the stuck entries are deleted.
            try await bed.bridgeNF(true)
            let deleted = try await bed.exec(.node, ["conntrack", "-D", "-d", "10.233.53.172"])
            #expect(deleted.status == 0, "\(deleted)")
            let gone = try await Poll.eventually(timeout: 90) {
                try await Self.query(bed, #"ctwatch_stuck_flows{service="cart"}"#)?.isEmpty == true
            }
            #expect(gone, "stdout: \(watch.stdoutSoFar)")
            let bridgeOn = try await Poll.eventually(timeout: 60) {
                let series = try await Self.query(bed, #"ctwatch_bridge_netfilter_enabled{family="ipv4"}"#) ?? []
                return !series.isEmpty && series.allSatisfy { $0.value == 1 }
            }
            #expect(bridgeOn)

            let stopped = await watch.stop(SIGTERM, timeout: 20)
            #expect(stopped.status == 0, "\(stopped.stderr)")
        }
    }

    @Test("events: the events counted by type, the table's size and limit, the build and the process")
    func eventCounters() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            let tail = try bed.start(
                .node,
                [try CTWatchBinary.path(), "events", "--json", "--metrics-address", "127.0.0.1:\(Self.metricsPort)"])
            defer { tail.signal(SIGKILL) }
            let ready = try await Poll.eventually(timeout: 60) {
                try await Self.get(bed, port: Self.metricsPort, "/readyz").code == 200
            }
            #expect(ready, "stderr: \(tail.stderrSoFar)")
            let call = try await bed.call(to: "cluster")
            #expect(call.status == 0, "\(call)")
            var last = ""
            let counted = try await Poll.eventually(timeout: 30) {
                last = try await Self.get(bed, port: Self.metricsPort, "/metrics").body
                return Self.sample(last, #"ctwatch_conntrack_events_total{type="new"}"#).map { $0 >= 1 } ?? false
            }
            #expect(counted, "\(last)")
            let count = try await bed.exec(.node, ["conntrack", "-C"])
            #expect(Self.sample(last, "ctwatch_conntrack_entries") != nil, "\(last)")
            #expect((Self.sample(last, "ctwatch_conntrack_entries_limit") ?? 0) > 0, "conntrack -C: \(count.stdout)")
            #expect(Self.sample(last, #"ctwatch_build_info{version="0.1.0"}"#) == 1, "\(last)")
            #expect((Self.sample(last, "process_resident_memory_bytes") ?? 0) > 1_000_000)
            #expect((Self.sample(last, "ctwatch_receive_buffer_bytes") ?? 0) > 0)
            #expect(Self.sample(last, "ctwatch_conntrack_stat_insert_failed_total") != nil)
            let stopped = await tail.stop(SIGTERM, timeout: 20)
            #expect(stopped.status == 0, "\(stopped.stderr)")
        }
    }

    @Test("a bad or busy --metrics-address is one line on stderr and exit 2, before anything runs")
    func badAddress() async throws {
        try Privilege.require()
        for text in ["9153", "host:0", "[::1]9153", ":70000", "::1:9153"] {
            let result = try await CTWatchBinary.run(["events", "--metrics-address", text])
            #expect(result.status == 2, "\(text): \(result)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(text): \(result.stderr)")
            #expect(result.stderr.contains("--metrics-address"), "\(result.stderr)")
        }
        let misplaced = try await CTWatchBinary.run(["stuck", "--metrics-address", ":9153"])
        #expect(misplaced.status == 2 && misplaced.stderr.contains("goes with --watch"), "\(misplaced)")
        try await TestBed.with { bed in
            let first = try bed.start(
                .node, [try CTWatchBinary.path(), "events", "--metrics-address", "127.0.0.1:\(Self.metricsPort)"])
            defer { first.signal(SIGKILL) }
            #expect(
                try await Poll.eventually(timeout: 60) {
                    try await Self.get(bed, port: Self.metricsPort, "/healthz").code == 200
                })
            let second = try await bed.exec(
                .node, [try CTWatchBinary.path(), "events", "--metrics-address", "127.0.0.1:\(Self.metricsPort)"],
                timeout: 30)
            #expect(second.status == 2, "\(second)")
            #expect(second.stderr.split(separator: "\n").count == 1, "\(second.stderr)")
            #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(Self.metricsPort)"), "\(second.stderr)")
        }
    }

    /// The value of the sample named exactly `series` (name and labels as written) in an exposition.
    static func sample(_ exposition: String, _ series: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }
}
