import Conntrack
import Foundation
import TestSupport
import Testing

/// Promises of the README that only the real kernel can check: privilege errors,
/// doctor's exit status, the receive buffer's growth and fallback, pods from stdin,
/// the watch's periodic re-dump, and a clean end on SIGTERM. Each long-running
/// command is stopped by signal once what the test waits for has happened.
@Suite("promises on the real kernel", .privileged)
struct PromiseIntegrationTests {
    static let fixtures = StuckIntegrationTests.fixtures

    /// A stuck flow written by hand (no bridge needed): pod A 10.224.1.34 to the ClusterIP,
    /// reply from pod B 10.224.1.56, unreplied. Without the DST_NAT bit: only `--any-dnat` finds it.
    static func insertHandWrittenStuckFlow(_ namespace: String, sourcePort: Int = 40000) async throws {
        let insert = try await Subprocess.run(
            "ip",
            [
                "netns", "exec", namespace,
                "conntrack", "-I", "-p", "tcp", "-s", "10.224.1.34", "-d", "10.233.53.172", "--sport",
                String(sourcePort),
                "--dport", "8080", "-r", "10.224.1.56", "-q", "10.224.1.34", "--reply-port-src", "8080",
                "--reply-port-dst", String(sourcePort), "--state", "SYN_SENT", "-t", "100",
            ])
        try #require(insert.status == 0, "\(insert)")
    }

    @Test(
        "without CAP_NET_ADMIN every command exits 2 with one stderr line that names the privilege",
        arguments: [
            ["list"], ["events"], ["stuck", "--cidr", "10.224.1.0/24"],
            ["stuck", "--watch", "--cidr", "10.224.1.0/24"], ["doctor"],
        ])
    func missingCapability(_ command: [String]) async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let line = ([try CTWatchBinary.path()] + command + ["--netns", name]).map { "'\($0)'" }.joined(
                separator: " ")
            // capsh drops the capability from the bounding set: the shell it starts, and
            // ctwatch after it, run as root without CAP_NET_ADMIN (setns still works).
            let result = try await Subprocess.run(
                "capsh", ["--drop=cap_net_admin", "--", "-c", "exec \(line)"], timeout: 30)
            #expect(!result.timedOut, "\(result)")
            #expect(result.status == 2, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            #expect(result.stderrLines.count == 1, "\(result)")
            #expect(result.stderr.hasPrefix("ctwatch: error: ") && result.stderr.contains("CAP_NET_ADMIN"), "\(result)")
        }
    }

    @Test("doctor exits 1 when a check warns (conntrack events off), and says why")
    func doctorWarning() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let off = try await Subprocess.run(
                "ip", ["netns", "exec", name, "sysctl", "-qw", "net.netfilter.nf_conntrack_events=0"])
            try #require(off.status == 0, "\(off)")
            let result = try await CTWatchBinary.run(["doctor", "--netns", name], timeout: 60)
            #expect(result.status == 1, "\(result)")
            let line = result.stdoutLines.first { $0.contains("net.netfilter.nf_conntrack_events") }
            #expect(line?.hasPrefix("[warn]") == true, "\(result)")
            #expect(result.stdout.contains("fix: sysctl -w net.netfilter.nf_conntrack_events=2"), "\(result)")
        }
    }

    @Test("after overruns the receive buffer doubles up to --max-buffer-size, and no further")
    func bufferGrowth() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            let tail = try CTWatchBinary.start([
                "events", "--netns", name, "--json", "--buffer-size", "4096", "--max-buffer-size", "65536", "-v",
            ])
            defer { tail.signal(SIGKILL) }
            try #require(await tail.waitForStderr(containing: "subscribed", timeout: 30), "\(tail.stderrSoFar)")
            func buffers(_ lines: [String]) -> [Int] {
                lines.compactMap { line in
                    guard line.contains("\"events-lost\""),
                        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    else { return nil }
                    return StuckIntegrationTests.value(object, "ctwatch", "lost", "receive_buffer") as? Int
                }
            }
            // 4096 doubles to 65536 in four overruns; two more show it stays there.
            var rounds = 0
            while buffers(tail.stdoutLinesSoFar).count < 6 && rounds < 10 && tail.isRunning {
                let insert = try await Subprocess.run(
                    "ip", ["netns", "exec", name, ctload, "insert", "20000"], timeout: 60)
                try #require(insert.status == 0, "\(insert)")
                let flush = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "flush"], timeout: 60)
                try #require(flush.status == 0, "\(flush)")
                rounds += 1
            }
            let run = await tail.stopWhen(timeout: 30) { buffers($0).count >= 6 }
            #expect(run.conditionMet, "\(run.result.stderr)")
            let sizes = buffers(run.result.stdoutLines)
            var size = 4096
            let expected = sizes.map { _ in
                size = min(size * 2, 65536)
                return size
            }
            #expect(sizes == expected, "each overrun doubles the buffer up to the limit: \(sizes)")
            let lossWarnings = run.result.stderrLines.filter { $0.hasPrefix("ctwatch: warning: ") }
            #expect(
                lossWarnings.count == sizes.count && lossWarnings.last?.contains("65536") == true,
                "one warning per overrun, with the size: \(run.result.stderr)")
            #expect(run.result.status == 0, "\(run.result)")
        }
    }

    @Test(
        "where SO_RCVBUFFORCE is refused (root of a user namespace only) the buffer falls back to SO_RCVBUF with a warning, and events still arrive"
    )
    func receiveBufferFallback() async throws {
        try Privilege.require()
        // In a network namespace owned by a new user namespace we hold CAP_NET_ADMIN there,
        // which is all ctnetlink asks; SO_RCVBUFFORCE asks for it in the initial user
        // namespace, which we no longer have. The buffer is then capped by rmem_max.
        let script = """
            rmem_max=$(cat /proc/sys/net/core/rmem_max) || exit 90
            err=$(mktemp)
            "$1" events -v --count 1 2>"$err" &
            tail=$!
            for _ in $(seq 300); do grep -q subscribed "$err" && break; sleep 0.1; done
            conntrack -I -p tcp -s 10.1.1.1 -d 10.2.2.2 --sport 1000 --dport 2000 --state SYN_SENT -t 50 -u UNREPLIED >/dev/null 2>&1
            wait "$tail"; status=$?
            cat "$err" >&2; rm -f "$err"
            echo "rmem_max=$rmem_max status=$status"
            """
        let result = try await Subprocess.run(
            "unshare",
            ["--user", "--map-root-user", "--net", "--", "bash", "-c", script, "fallback", try CTWatchBinary.path()],
            timeout: 60)
        #expect(!result.timedOut, "\(result)")
        let summary = try #require(
            result.stdoutLines.last?.firstMatch(of: /^rmem_max=(\d+) status=(\d+)$/), "\(result)")
        let rmemMax = String(summary.output.1)
        #expect(summary.output.2 == "0", "ctwatch exits 0 after --count 1: \(result)")
        #expect(
            result.stdout.contains("[NEW] tcp 6 ")
                && result.stdout.contains("src=10.1.1.1 dst=10.2.2.2 sport=1000 dport=2000"),
            "the event arrived: \(result)")
        let warning = try #require(result.stderrLines.first { $0.hasPrefix("ctwatch: warning: ") }, "\(result)")
        #expect(
            warning.contains("SO_RCVBUFFORCE") && warning.contains(rmemMax),
            "names the refusal and the size granted: \(warning)")
        let subscribed = result.stderrLines.first { $0.contains("subscribed") } ?? ""
        #expect(subscribed.contains(rmemMax) && subscribed.contains("SO_RCVBUF"), "-v says the size granted: \(result)")
        #expect(result.stderrLines.filter { $0.contains("error") }.isEmpty, "\(result)")
    }

    @Test("stuck --pods - reads the pods from standard input")
    func podsFromStandardInput() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            try await Self.insertHandWrittenStuckFlow(name)
            let pods = try String(contentsOfFile: Self.fixtures + "/pods.json", encoding: .utf8)
            let result = try await CTWatchBinary.run(
                [
                    "stuck", "--netns", name, "--cidr", "10.224.1.0/24", "--min-age", "0", "--any-dnat", "--json",
                    "--pods", "-", "--services", Self.fixtures + "/services.json",
                ],
                stdin: pods, timeout: 60)
            #expect(result.status == 1, "\(result)")
            let alerts = try StuckIntegrationTests.objects(result)
            try #require(alerts.count == 1, "\(result)")
            let alert = alerts[0]
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "source", "pod", "name") as? String
                    == "frontend-7c9d8b5f4-x2x7p",
                "\(result.stdout)")
            #expect(StuckIntegrationTests.value(alert, "ctwatch", "source", "pod", "namespace") as? String == "shop")
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "backend", "pod", "name") as? String
                    == "cart-5d6f7b8c9-k4m2n")
            #expect(StuckIntegrationTests.value(alert, "ctwatch", "service", "name") as? String == "cart")
        }
    }

    @Test("stuck --watch's periodic re-dump finds an entry no event announces")
    func periodicRedump() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", name, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                "--any-dnat",
                "--resync-interval", "1", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            // An entry announced by its NEW event: once it is reported the first dump is over,
            // since the watch reads events only after it.
            try await Self.insertHandWrittenStuckFlow(name)
            let announced = "10.224.1.34:40000"
            let seen = await watch.waitForStdout(timeout: 30) {
                StuckIntegrationTests.stuckSources($0).contains(announced)
            }
            try #require(seen, "\(watch.stdoutSoFar)")
            // Like an entry older than the subscription (nf_conntrack_events=2 attaches no
            // event extension to it), this one never sends an event: only a re-dump can find it.
            let silent = try await StuckIntegrationTests.insertSilently(name, offset: 100)
            let run = await watch.stopWhen(timeout: 30) { StuckIntegrationTests.stuckSources($0).contains(silent) }
            #expect(run.conditionMet, "the periodic re-dump did not find \(silent): \(run)")
            #expect(StuckIntegrationTests.stuckSources(run.result.stdoutLines) == [announced, silent], "\(run)")
            #expect(
                run.result.status == 0 && !run.result.timedOut, "SIGTERM is an orderly end of a watch: exit 0: \(run)")
        }
    }

    @Test(
        "SIGTERM and SIGINT end events at once with status 0, every line written whole", arguments: [SIGTERM, SIGINT])
    func signalEndsTail(_ signal: Int32) async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            let tail = try CTWatchBinary.start(["events", "--netns", name, "--json", "-v"])
            defer { tail.signal(SIGKILL) }
            try #require(await tail.waitForStderr(containing: "subscribed", timeout: 30), "\(tail.stderrSoFar)")
            let insert = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "insert", "100"], timeout: 60)
            try #require(insert.status == 0, "\(insert)")
            let run = await tail.stopWhen(timeout: 30, signal: signal) { $0.count >= 100 }
            #expect(run.conditionMet, "\(run)")
            let result = run.result
            #expect(result.status == 0 && !result.timedOut, "\(result)")
            #expect(result.stdout.hasSuffix("\n"), "the last line is whole")
            #expect(result.stdoutLines.count == 100, "every NEW event, nothing else: \(result.stdoutLines.count) lines")
            #expect(eventOutputProblems(result.stdoutBytes).isEmpty, "\(eventOutputProblems(result.stdoutBytes))")
            // The lines describe the table's entries, as conntrack itself lists them (inserted
            // entries carry no traffic, so nothing changes between the event and the listing).
            let list = try await Subprocess.run("ip", ["netns", "exec", name, "conntrack", "-L", "-o", "id"])
            let values = jsonValues(result.stdoutBytes)
            let mismatches = JSONLineSchema.conntrackProblems(values, conntrackOutput: list.stdout)
            #expect(mismatches.isEmpty, "\(mismatches)")
            let tableIDs = Set(ConntrackLine.entries(list.stdout).compactMap { $0.id.map(UInt64.init) })
            let printedIDs = Set(conntrackIDs(values))
            #expect(tableIDs.count == 100 && printedIDs == tableIDs, "\(list)")
            #expect(
                result.stderr.contains("100 events written"), "the summary is written on the way out: \(result.stderr)")
        }
    }
}
