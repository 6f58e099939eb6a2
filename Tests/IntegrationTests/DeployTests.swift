import Foundation
import TestSupport
import Testing

/// deploy/: the Kubernetes manifests validated by kubernetes-validate (strict)
/// against named Kubernetes versions, the alert rules checked and unit-tested
/// by promtool, the PrometheusRule kept equal to the rules file, and the
/// README showing the rsyslog configuration RsyslogTests runs.
@Suite("deploy/: manifests, alert rules, shipper configuration")
struct DeployTests {
    static let deploy = RepositoryLayout.root.appendingPathComponent("deploy")
    static func path(_ name: String) -> String { deploy.appendingPathComponent(name).path }

    /// The objects of deploy/ that kubernetes-validate has a schema for, as it names them.
    static let coreObjects: Set<String> = [
        "namespace/ctwatch", "serviceaccount/ctwatch", "clusterrole/ctwatch", "clusterrolebinding/ctwatch",
        "daemonset/ctwatch",
    ]
    /// The Prometheus Operator's kinds: custom resources, whose schemas kubernetes-validate does not have.
    static let operatorKinds: Set<String> = ["PodMonitor", "PrometheusRule"]

    /// Every Kubernetes manifest of deploy/: its `*.yaml` but the plain rules file (no Kubernetes object).
    static func manifests() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: deploy.path)
            .filter { $0.hasSuffix(".yaml") && $0 != "prometheus-rules.yaml" }.sorted().map(path)
    }

    /// The alert names of a rules text, in order.
    static func alertNames(_ rules: String) -> [String] {
        rules.split(separator: "\n").compactMap { line in
            (try? /^\s*- alert: (\w+)\s*$/.wholeMatch(in: line)).map { String($0.output.1) }
        }
    }

    static func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    /// Runs `promtool check rules` on `file`; fails the test unless it passes with `alerts` rules.
    static func checkRules(_ file: String, alerts: Int) async throws {
        let check = try await Subprocess.run("promtool", ["check", "rules", file])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("SUCCESS: \(alerts) rules found"), "\(check)")
    }

    @Test("promtool check rules passes on the rules file and on the PrometheusRule's spec", .tools("promtool"))
    func rulesCheck() async throws {
        try Tools.require("promtool")
        let rules = try Self.read("prometheus-rules.yaml")
        let alerts = Self.alertNames(rules)
        #expect(
            alerts == [
                "CtwatchStuckFlows", "CtwatchConntrackEventsLost", "CtwatchConntrackTableNearlyFull",
                "CtwatchConntrackInsertFailed",
            ])
        try await Self.checkRules(Self.path("prometheus-rules.yaml"), alerts: alerts.count)

        // The PrometheusRule's spec is a rules file of its own: checked as one.
        let object = try Self.read("prometheusrule.yaml").split(separator: "\n", omittingEmptySubsequences: false)
        let specStart = try #require(object.firstIndex(of: "spec:"), "no spec: line")
        let spec = object[(specStart + 1)...].map { $0.hasPrefix("  ") ? String($0.dropFirst(2)) : String($0) }
        let specFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctwatch-prometheusrule-spec-\(UUID().uuidString).yaml"
        ).path
        try spec.joined(separator: "\n").write(toFile: specFile, atomically: true, encoding: .utf8)
        try await Cleanup.after {
            try await Self.checkRules(specFile, alerts: alerts.count)
        } cleanup: {
            try? FileManager.default.removeItem(atPath: specFile)
        }
    }

    @Test(
        "promtool test rules: each alert fires on the series written for it, and not where its condition is absent",
        .tools("promtool"))
    func rulesFire() async throws {
        try Tools.require("promtool")
        let testFile = Self.path("tests/prometheus-rules.test.yaml")
        let tests = try String(contentsOfFile: testFile, encoding: .utf8)
        for alert in Self.alertNames(try Self.read("prometheus-rules.yaml")) {
            #expect(tests.contains("alertname: \(alert)\n"), "no test of \(alert)")
        }
        let run = try await Subprocess.run("promtool", ["test", "rules", testFile])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("SUCCESS"), "\(run)")
    }

    @Test("deploy/prometheusrule.yaml is what Scripts/prometheusrule writes from deploy/prometheus-rules.yaml")
    func prometheusRuleIsGenerated() async throws {
        let script = RepositoryLayout.root.appendingPathComponent("Scripts/prometheusrule").path
        let generated = try await Subprocess.run(script, ["-"])
        #expect(generated.status == 0, "\(generated)")
        #expect(
            generated.stdout == (try Self.read("prometheusrule.yaml")),
            "deploy/prometheusrule.yaml differs from the rules file: run Scripts/prometheusrule")
    }

    /// kubernetes-validate 1.37.0 knows 1.25 to 1.37: the newest, and 1.32 (the kubectl installed here).
    @Test(
        "kubernetes-validate --strict passes every core object of deploy/ and skips only the Prometheus Operator's kinds",
        .tools("kubernetes-validate"), arguments: ["1.32.0", "1.37.0"])
    func kubernetesValidate(version: String) async throws {
        try Tools.require("kubernetes-validate")
        let manifests = try Self.manifests()
        let run = try await Subprocess.run(
            "kubernetes-validate", ["--strict", "--kubernetes-version", version] + manifests, timeout: 120)
        #expect(run.status == 0, "\(run)")
        // Unknown kinds are only a WARN (exit status 0): every line is read, so
        // that a core object it could not check (a typo in a kind or apiVersion)
        // fails here instead of passing unchecked.
        let minor = version.split(separator: ".").prefix(2).joined(separator: ".")
        let passed = /^INFO \S+ passed for resource (\S+) against version (\S+)$/
        let unknown =
            /^WARN \S+ Couldn't find schema for kind (\w+) with api version monitoring\.coreos\.com\/v1 for kubernetes version (\S+)$/
        var validated: [String] = []
        var skipped: [String] = []
        for line in run.stdoutLines {
            if let match = try passed.wholeMatch(in: line), match.output.2 == minor {
                validated.append(String(match.output.1))
            } else if let match = try unknown.wholeMatch(in: line), match.output.2 == minor,
                Self.operatorKinds.contains(String(match.output.1))
            {
                skipped.append(String(match.output.1))
            } else {
                Issue.record("kubernetes-validate \(version): \(line)")
            }
        }
        #expect(validated.sorted() == Self.coreObjects.sorted(), "validated against \(minor): \(validated)")
        #expect(skipped.sorted() == Self.operatorKinds.sorted(), "\(run.stdout)")
    }

    @Test("the README shows deploy/rsyslog/ctwatch.conf as RsyslogTests runs it")
    func readmeShowsRsyslogConfiguration() throws {
        let readme = try String(
            contentsOf: RepositoryLayout.root.appendingPathComponent("README.md"), encoding: .utf8)
        let configuration = try Self.read("rsyslog/ctwatch.conf")
        #expect(readme.contains("```\n" + configuration + "```\n"), "copy deploy/rsyslog/ctwatch.conf into the README")
    }

    @Test("the DaemonSet's arguments are ones ctwatch takes: it gets past parsing to the kubeconfig")
    func daemonSetArguments() async throws {
        let yaml = try Self.read("daemonset.yaml")
        let line = try #require(yaml.split(separator: "\n").first { $0.contains("args: [") })
        let list = String(line[line.index(after: try #require(line.firstIndex(of: ":")))...])
        let args = try #require(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String])
        #expect(args.contains("--metrics-address"), "\(args)")
        // A kubeconfig that is not there: the first thing read after the arguments are taken.
        let missing = "/nonexistent/ctwatch-kubeconfig"
        let result = try await CTWatchBinary.run(args + ["--kubeconfig", missing], timeout: 30)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(missing), "\(result.stderr)")
        #expect(!result.stderr.contains("see ctwatch --help"), "a usage error: \(result.stderr)")
    }
}
