import Conntrack
import Foundation
import TestSupport
import Testing

/// `ctwatch stuck` and `ctwatch doctor` on the real kernel: each test brings up
/// a test bed of its own (Scripts/testbed) and reproduces the failure, or its
/// absence, inside it.
@Suite("stuck and doctor on the real kernel", .privileged)
struct StuckIntegrationTests {
    static let fixtures = RepositoryLayout.root.appendingPathComponent("Tests/CTWatchCoreTests/Fixtures").path
    static let kubeArguments = ["--pods", fixtures + "/pods.json", "--services", fixtures + "/services.json"]

    /// The JSON objects of a command's stdout. The bytes it wrote are checked first
    /// (framing, UTF-8, strict JSON, the header fields).
    static func objects(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String:
        Any]]
    {
        let problems = JSONLineSchema.checkOutput(result.stdoutBytes).problems
        #expect(problems.isEmpty, "\(problems)", sourceLocation: sourceLocation)
        return try result.stdoutLines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(line)")
        }
    }

    static func value(_ object: [String: Any], _ path: String...) -> Any? {
        var current: Any? = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }

    static func stuck(_ bed: TestBed, _ extra: [String]) async throws -> ProcessResult {
        try await CTWatchBinary.run(["stuck", "--netns", bed.node] + extra, timeout: 90)
    }

    /// The `event.action` of each JSON line that parses (for conditions on output still being written).
    static func actions(_ lines: [String]) -> [String] {
        lines.compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            return value(object, "event", "action") as? String
        }
    }

    /// "address:port" of the source of each `dnat-unreplied` line that parses.
    static func stuckSources(_ lines: [String]) -> [String] {
        lines.compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                value(object, "event", "action") as? String == "dnat-unreplied",
                let ip = value(object, "source", "ip") as? String, let port = value(object, "source", "port") as? Int
            else { return nil }
            return "\(ip):\(port)"
        }
    }

    @Test("bridge-nf off: exactly the one stuck flow, pods A and B, the service, the bridge-nf diagnosis")
    func bridgeNetfilterOff() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let call = try await bed.call()
            #expect(call.status != 0, "the call must time out with bridge-nf off: \(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")

            let result = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--json"] + Self.kubeArguments)
            #expect(result.status == 1, "exit 1 means stuck flows were found: \(result)")
            let alerts = try Self.objects(result)
            try #require(alerts.count == 1, "\(result.stdout)")
            let alert = alerts[0]
            #expect(Self.value(alert, "event", "kind") as? String == "alert")
            #expect(Self.value(alert, "event", "action") as? String == "dnat-unreplied")
            #expect(Self.value(alert, "event", "dataset") as? String == "ctwatch.stuck")
            #expect(Self.value(alert, "log", "level") as? String == "warn")
            #expect(
                (Self.value(alert, "event", "duration") as? Int ?? -1) >= 3_000_000_000, "--min-age defaults to 3 s")
            #expect(Self.value(alert, "source", "ip") as? String == "10.224.1.34")
            #expect(Self.value(alert, "source", "port") as? Int == Int(port))
            #expect(Self.value(alert, "destination", "ip") as? String == "10.233.53.172")
            #expect(Self.value(alert, "destination", "nat", "ip") as? String == "10.224.1.56")
            #expect(Self.value(alert, "ctwatch", "source", "pod", "name") as? String == "frontend-7c9d8b5f4-x2x7p")
            #expect(Self.value(alert, "ctwatch", "source", "pod", "namespace") as? String == "shop")
            #expect(Self.value(alert, "ctwatch", "backend", "pod", "name") as? String == "cart-5d6f7b8c9-k4m2n")
            #expect(Self.value(alert, "ctwatch", "service", "name") as? String == "cart")
            #expect(Self.value(alert, "ctwatch", "diagnosis", "code") as? String == "bridge-nf-call-iptables-disabled")
            let fix = Self.value(alert, "ctwatch", "diagnosis", "fix") as? String ?? ""
            #expect(fix.hasPrefix("sysctl -w net.bridge.bridge-nf-call-iptables=1"))
            // The alert names the kernel's entry: conntrack lists the call under the same id.
            let table = try await bed.exec(
                .node, ["conntrack", "-L", "-o", "id", "-p", "tcp", "--sport", String(port)])
            let entries = ConntrackLine.entries(table.stdout)
            try #require(entries.count == 1, "\(table)")
            let entryID = try #require(entries[0].id, "\(table)")
            #expect(entries[0].unreplied && entries[0].reply.source == "10.224.1.56", "\(table)")
            #expect(Self.value(alert, "ctwatch", "conntrack", "id") as? Int == Int(entryID), "\(table.stdout)")

            // The text form names the pods and gives the cause and the fix.
            let text = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--min-age", "0"] + Self.kubeArguments)
            #expect(text.status == 1)
            #expect(text.stdout.contains("shop/frontend-7c9d8b5f4-x2x7p (10.224.1.34)"))
            #expect(text.stdout.contains("shop/cart-5d6f7b8c9-k4m2n (10.224.1.56:8080)"))
            #expect(text.stdout.contains("bridge-nf-call-iptables-disabled"))
            #expect(text.stdout.contains("fix: sysctl -w net.bridge.bridge-nf-call-iptables=1"))
        }
    }

    @Test("bridge-nf on: the call succeeds, nothing is reported, exit 0")
    func bridgeNetfilterOn() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            let call = try await bed.call()
            #expect(call.status == 0, "\(call)")
            let result = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--min-age", "0", "--json"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("a backend outside the bridge subnet (routed) is not reported")
    func routedBackend() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            #expect(try await bed.call(to: "routed").status == 0)
            let result = try await Self.stuck(bed, ["--min-age", "0", "--json"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(
                result.stderr.contains("10.224.1.0/24 (cni0)"), "says which bridge subnets it found: \(result.stderr)")
        }
    }

    @Test("UDP to a same-bridge backend with bridge-nf off is reported")
    func udpService() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            #expect(try await bed.call(udp: true).status != 0)
            let result = try await Self.stuck(
                bed, ["--cidr", "10.224.1.0/24", "--min-age", "0", "--json"] + Self.kubeArguments)
            #expect(result.status == 1, "\(result)")
            let alerts = try Self.objects(result)
            #expect(alerts.count == 1)
            #expect(alerts.first.flatMap { Self.value($0, "network", "transport") as? String } == "udp")
            #expect(
                alerts.first.flatMap { Self.value($0, "ctwatch", "diagnosis", "code") as? String }
                    == "bridge-nf-call-iptables-disabled")
        }
    }

    @Test("IPv6 with bridge-nf-call-ip6tables=0 is reported with the ip6tables fix")
    func ipv6() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            #expect(try await bed.call(ipv6: true).status != 0)
            let result = try await Self.stuck(
                bed, ["--cidr", "fd00:224:1::/64", "--min-age", "0", "--json"] + Self.kubeArguments)
            #expect(result.status == 1, "\(result)")
            let alerts = try Self.objects(result)
            try #require(alerts.count == 1, "\(result.stdout)")
            #expect(Self.value(alerts[0], "network", "type") as? String == "ipv6")
            #expect(Self.value(alerts[0], "destination", "nat", "ip") as? String == "fd00:224:1::56")
            #expect(Self.value(alerts[0], "ctwatch", "source", "pod", "name") as? String == "frontend-7c9d8b5f4-x2x7p")
            #expect(
                Self.value(alerts[0], "ctwatch", "diagnosis", "code") as? String == "bridge-nf-call-ip6tables-disabled")
            let fix = Self.value(alerts[0], "ctwatch", "diagnosis", "fix") as? String ?? ""
            #expect(fix.hasPrefix("sysctl -w net.bridge.bridge-nf-call-ip6tables=1"))
        }
    }

    @Test("--min-age is honoured: with kernel timestamps a young flow is not reported, an old enough one is")
    func minAge() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            // The test's own node namespace: entries created from now on carry a start time.
            _ = try await bed.exec(.node, ["sysctl", "-qw", "net.netfilter.nf_conntrack_timestamp=1"])
            #expect(try await bed.call(timeout: 2).status != 0)
            let young = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--min-age", "60", "--json"])
            #expect(young.status == 0, "a flow 2 s old is younger than --min-age 60: \(young)")
            #expect(young.stdout.isEmpty)
            #expect(
                !young.stderr.contains("watching"),
                "with kernel timestamps there is nothing to observe: \(young.stderr)")
            let old = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--min-age", "1", "--json"])
            #expect(old.status == 1, "\(old)")
            let alert = try #require(try Self.objects(old).first)
            #expect(Self.value(alert, "ctwatch", "age_source") as? String == "kernel-timestamp")
            #expect((Self.value(alert, "event", "duration") as? Int ?? 0) >= 1_000_000_000)
        }
    }

    @Test("a server that answers slowly is not reported once it answers; --watch reports it, then clears it")
    func slowServerWatch() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", bed.node, "--watch", "--json", "--min-age", "1", "--cidr", "10.224.1.0/24", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            let call = try await bed.call(udp: true, slow: true)  // the answer comes after 4 s
            #expect(call.status == 0, "\(call)")
            let afterAnswer = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--min-age", "0", "--json"])
            #expect(afterAnswer.status == 0 && afterAnswer.stdout.isEmpty, "answered, so not stuck: \(afterAnswer)")
            let run = await watch.stopWhen(timeout: 30) { Self.actions($0).contains("dnat-unreplied-cleared") }
            #expect(run.conditionMet, "\(run)")
            let result = run.result
            #expect(result.status == 0 && !result.timedOut, "SIGTERM is an orderly end of a watch: exit 0: \(result)")
            let lines = try Self.objects(result)
            let actions = lines.compactMap { Self.value($0, "event", "action") as? String }
            #expect(actions == ["dnat-unreplied", "dnat-unreplied-cleared"], "\(result)")
            #expect(lines.last.flatMap { Self.value($0, "event", "reason") as? String } == "replied")
            let ids = Set(lines.compactMap { Self.value($0, "network", "community_id") as? String })
            #expect(ids.count == 1, "both lines speak of the same flow")
        }
    }

    @Test("--watch reports a stuck flow once, and clears it when the entry is deleted")
    func watchClearsOnDelete() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", bed.node, "--watch", "--json", "--min-age", "1", "--cidr", "10.224.1.0/24",
                "--resync-interval", "1", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            #expect(try await bed.call(timeout: 3).status != 0)
            let reported = await watch.waitForStdout(timeout: 30) { Self.actions($0).contains("dnat-unreplied") }
            #expect(reported, "the flow was not reported stuck: \(watch.stdoutSoFar)")
            // Delete the entry in the test's own node namespace: a DESTROY event.
            let delete = try await bed.exec(.node, ["conntrack", "-D", "-p", "tcp", "--orig-dst", "10.233.53.172"])
            #expect(delete.status == 0, "\(delete)")
            let run = await watch.stopWhen(timeout: 30) { Self.actions($0).contains("dnat-unreplied-cleared") }
            #expect(run.conditionMet, "\(run)")
            let result = run.result
            #expect(result.status == 0 && !result.timedOut, "SIGTERM is an orderly end of a watch: exit 0: \(result)")
            let lines = try Self.objects(result)
            let actions = lines.compactMap { Self.value($0, "event", "action") as? String }
            #expect(actions == ["dnat-unreplied", "dnat-unreplied-cleared"], "once stuck, once cleared: \(result)")
            #expect(lines.last.flatMap { Self.value($0, "event", "reason") as? String } == "destroyed")
        }
    }

    @Test("--watch reports a flow stuck before it started (found by its first dump, which no event announces)")
    func watchFindsOlderFlows() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let call = try await bed.call(timeout: 2)
            #expect(call.status != 0)
            let port = try #require(call.failedSourcePorts.first, "\(call)")
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", bed.node, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                "--resync-interval", "1", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            let stuckCall = "10.224.1.34:\(port)"
            let found = await watch.waitForStdout(timeout: 30) { Self.stuckSources($0).contains(stuckCall) }
            #expect(found, "\(watch.stdoutSoFar)")
            // Proof that later re-dumps ran: an entry no event announces, found only by one of them.
            let marker = try await Self.insertSilently(bed.node, offset: 100)
            let run = await watch.stopWhen(timeout: 30) { Self.stuckSources($0).contains(marker) }
            #expect(run.conditionMet, "\(run)")
            _ = try Self.objects(run.result)
            #expect(
                Self.stuckSources(run.result.stdoutLines).sorted() == [stuckCall, marker].sorted(),
                "each reported once, through several re-dumps: \(run)")
            #expect(!Self.actions(run.result.stdoutLines).contains("dnat-unreplied-cleared"), "\(run)")
        }
    }

    /// Inserts one DNAT'ed unreplied entry from pod 10.224.1.(offset + 1) to a service
    /// address, DNAT'ed by the kernel (DST_NAT set) to a backend 10.224.1.2xx:8080, that no
    /// event announces: the namespace's `nf_conntrack_events` is 0 while it is created, so it
    /// carries no event extension. Only a dump can find it. Returns its source as "address:port".
    /// Keep `offset` below 199 and away from the bed's pods (.34, .56).
    static func insertSilently(_ namespace: String, offset: Int) async throws -> String {
        let ctload = try await OverrunTests.ctload()
        let script = """
            sysctl -qw net.netfilter.nf_conntrack_events=0 || exit 1
            "$1" insert 1 --dnat-fraction 1 --offset "$2"; status=$?
            sysctl -qw net.netfilter.nf_conntrack_events=2 || exit 1
            exit $status
            """
        let insert = try await Subprocess.run(
            "ip", ["netns", "exec", namespace, "bash", "-c", script, "insert", ctload, String(offset)], timeout: 60)
        try #require(insert.status == 0, "\(insert)")
        let source = "10.224.1.\(offset + 1)"
        let list = try await Subprocess.run("ip", ["netns", "exec", namespace, "conntrack", "-L", "-s", source])
        try #require(list.stdoutLines.count == 1 && list.stdoutLines[0].contains("[UNREPLIED]"), "\(list)")
        let sport = try #require(list.stdoutLines[0].firstMatch(of: /sport=(\d+)/)?.output.1, "\(list)")
        return "\(source):\(sport)"
    }

    @Test("a flow DNAT'ed without the DST_NAT bit: only --any-dnat looks for it; its --watch keeps it through resyncs")
    func withoutStatusBit() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            var watches: [RunningProcess] = []
            defer { for watch in watches { watch.signal(SIGKILL) } }
            for extra in [[], ["--any-dnat"]] {
                let watch = try CTWatchBinary.start(
                    [
                        "stuck", "--netns", bed.node, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                        "--resync-interval", "1", "-v",
                    ] + extra)
                try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
                watches.append(watch)
            }
            // A hand-written reply tuple: DNAT'ed by its tuples, without the bit nf_nat would set.
            let insert = try await bed.exec(
                .node,
                [
                    "conntrack", "-I", "-p", "tcp", "-s", "10.224.1.34", "-d", "10.233.53.172", "--sport", "40000",
                    "--dport", "8080",
                    "-r", "10.224.1.56", "-q", "10.224.1.34", "--reply-port-src", "8080", "--reply-port-dst", "40000",
                    "--state", "SYN_SENT", "-t", "100",
                ])
            try #require(insert.status == 0, "\(insert)")
            let handWritten = "10.224.1.34:40000"
            let anyFound = await watches[1].waitForStdout(timeout: 30) { Self.stuckSources($0).contains(handWritten) }
            #expect(anyFound, "\(watches[1].stdoutSoFar)")
            // An entry with the bit that no event announces: once a watch reports it, that watch
            // has re-dumped since the hand-written entry existed.
            let marker = try await Self.insertSilently(bed.node, offset: 100)
            let plainRun = await watches[0].stopWhen(timeout: 30) { Self.stuckSources($0).contains(marker) }
            let anyRun = await watches[1].stopWhen(timeout: 30) { Self.stuckSources($0).contains(marker) }
            #expect(plainRun.conditionMet && anyRun.conditionMet, "\(plainRun)\n\(anyRun)")
            _ = try Self.objects(plainRun.result)
            _ = try Self.objects(anyRun.result)
            #expect(
                Self.stuckSources(plainRun.result.stdoutLines) == [marker],
                "the default watch, like the default scan, asks for DST_NAT: \(plainRun)")
            #expect(Self.stuckSources(anyRun.result.stdoutLines) == [handWritten, marker], "\(anyRun)")
            #expect(
                Self.actions(anyRun.result.stdoutLines) == ["dnat-unreplied", "dnat-unreplied"],
                "reported once, never cleared while it lives: \(anyRun)")

            let plain = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--min-age", "0", "--json"])
            #expect(plain.status == 1 && Self.stuckSources(plain.stdoutLines) == [marker], "\(plain)")
            _ = try Self.objects(plain)
            let any = try await Self.stuck(bed, ["--cidr", "10.224.1.0/24", "--min-age", "0", "--json", "--any-dnat"])
            #expect(any.status == 1, "\(any)")
            _ = try Self.objects(any)
            #expect(Self.stuckSources(any.stdoutLines).sorted() == [handWritten, marker].sorted(), "\(any)")
        }
    }

    @Test("doctor reports bridge-nf-call-iptables=0 in the node namespace")
    func doctor() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let text = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
            #expect(text.status == 1, "a failing check exits 1: \(text)")
            #expect(text.stdout.contains("[error] net.bridge.bridge-nf-call-iptables"))
            #expect(text.stdout.contains("fix: sysctl -w net.bridge.bridge-nf-call-iptables=1"))
            let json = try await CTWatchBinary.run(["doctor", "--netns", bed.node, "--json"])
            let checks = try Self.objects(json)
            let bridge = checks.first {
                Self.value($0, "ctwatch", "check", "name") as? String == "net.bridge.bridge-nf-call-iptables"
            }
            #expect(bridge.flatMap { Self.value($0, "ctwatch", "check", "value") as? String } == "0")
            #expect(bridge.flatMap { Self.value($0, "ctwatch", "check", "severity") as? String } == "error")
            #expect(checks.allSatisfy { Self.value($0, "event", "dataset") as? String == "ctwatch.doctor" })
            try await bed.bridgeNF(true)
            let fixed = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
            #expect(fixed.stdout.contains("[ok]    net.bridge.bridge-nf-call-iptables"), "\(fixed)")
            #expect(fixed.status == 0, "a healthy node namespace: nothing to fix, exit 0: \(fixed)")
        }
    }

    @Test(
        "bad input: one line on stderr, exit 2, nothing on stdout",
        arguments: [
            ["--cidr", "10.224.1.0/33"],
            ["--cidr", "10.224.1.0/24", "--service-cidr", "fd00::/108"],
            ["--service-cidr", "10.233.0.0/16x"],
            ["--pods", "/nonexistent/pods.json"],
            ["--pods", "NOTJSON"],
            ["--services", "DEPLOYMENTS"],
            ["--netns", "ctwatch-no-such-namespace"],
            ["--min-age", "-1"],
        ])
    func badInput(_ arguments: [String]) async throws {
        try Privilege.require()
        let notJSON = FileManager.default.temporaryDirectory.appendingPathComponent("ctwatch-not-json-\(getpid()).json")
            .path
        try "{\"kind\": \"List\", \"items\": [".write(toFile: notJSON, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: notJSON) }
        let resolved = arguments.map {
            $0 == "NOTJSON" ? notJSON : $0 == "DEPLOYMENTS" ? Self.fixtures + "/deployments.json" : $0
        }
        let result = try await CTWatchBinary.run(["stuck"] + resolved)
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("ctwatch: error: "))
    }
}
