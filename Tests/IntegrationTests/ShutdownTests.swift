import Foundation
import TestSupport
import Testing

/// SIGTERM (what Kubernetes sends before SIGKILL) and SIGINT end the long-running
/// commands in order: stop receiving, write every complete line held, exit 0.
@Suite("shutdown on SIGTERM and SIGINT", .privileged, .serialized)
struct ShutdownTests {
    @Test("events: SIGTERM exits 0 with every line whole and the events received before it written")
    func eventsTerm() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let tail = try CTWatchBinary.start(["events", "--netns", name, "--json", "--types", "new", "-v"])
            #expect(await tail.waitForStderr(containing: "subscribed", timeout: 20), "stderr: \(tail.stderrSoFar)")
            let insert = try await StuckLoad.insert(200, in: name)
            #expect(insert.status == 0, "\(insert)")
            let arrived = await Poll.until(timeout: 30) { WatchOutput(tail.stdoutSoFar).actions.count >= 200 }
            #expect(arrived, "the 200 NEW events reached stdout before the signal")
            tail.signal(SIGTERM)
            let result = await tail.wait(timeout: 10)
            #expect(!result.timedOut, "still running 10 s after SIGTERM")
            #expect(result.status == 0, "\(result.stderr)")
            let output = WatchOutput(result)
            #expect(output.endsWithCompleteLine)
            #expect(output.problems.isEmpty, "\(output.problems.prefix(3))")
            #expect(output.actions.filter { $0 == "conntrack-new" }.count == 200)
            #expect(result.stderr.contains("200 events written"), "the summary of a clean exit: \(result.stderr)")
        }
    }

    @Test("stuck --watch: SIGTERM exits 0 with every finding reported before it written")
    func stuckWatchTerm() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let insert = try await StuckLoad.insert(50, in: name)
            #expect(insert.status == 0, "\(insert)")
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", name, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24", "-v",
            ])
            let reported = await Poll.until(timeout: 30) { WatchOutput(watch.stdoutSoFar).stuckFlows.count >= 50 }
            #expect(reported, "the 50 stuck flows were reported before the signal: \(watch.stderrSoFar)")
            watch.signal(SIGTERM)
            let result = await watch.wait(timeout: 10)
            #expect(!result.timedOut, "still running 10 s after SIGTERM")
            #expect(result.status == 0, "a watch stopped by a signal ends well: \(result.stderr)")
            let output = WatchOutput(result)
            #expect(output.endsWithCompleteLine)
            #expect(output.problems.isEmpty, "\(output.problems.prefix(3))")
            #expect(Set(output.stuckFlows).count == 50)
            #expect(output.stuckFlows.count == 50, "each flow once")
        }
    }

    /// During sustained loss the queue holds many lost-events markers; a signal
    /// must not wait for a resync per marker.
    @Test(
        "stuck --watch under sustained event loss ends soon after the signal, status 0, whole JSON lines",
        arguments: [SIGINT, SIGTERM])
    func stuckWatchUnderLoss(signal: Int32) async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", name, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                "--buffer-size", "4096", "--max-buffer-size", "4096", "-v",
            ])
            #expect(await watch.waitForStderr(containing: "watching", timeout: 20), "stderr: \(watch.stderrSoFar)")
            let load = try await StuckLoad.startLoop(rounds: 12, burst: 5000, in: name)
            defer {
                load.signal(SIGKILL)
                _ = load.wait(timeout: 30)
            }
            // Signal in the thick of it: once several overruns were reported.
            let overrun = await Poll.until(timeout: 60) {
                watch.stderrSoFar.components(separatedBy: "events lost").count > 3 || !load.isRunning
            }
            #expect(
                overrun && watch.stderrSoFar.contains("events lost"), "a 4 KiB buffer overruns: \(watch.stderrSoFar)")
            watch.signal(signal)
            // A liveness bound, not a speed claim: the loop used to run for minutes.
            let result = await watch.wait(timeout: 10)
            #expect(!result.timedOut, "still running 10 s after signal \(signal)")
            #expect(result.status == 0, "\(result.stderr.suffix(500))")
            let output = WatchOutput(result)
            #expect(output.endsWithCompleteLine)
            #expect(output.problems.isEmpty, "\(output.problems.prefix(3))")
            #expect(output.actions.contains("events-lost"))
            #expect(!output.stuckFlows.isEmpty)
        }
    }
}
