import Foundation
import TestSupport
import Testing

/// `stuck --watch` findings across the ways a watch ends and after event loss.
@Suite("stuck --watch: findings at the end and after loss", .privileged, .serialized)
struct WatchLossTests {
    /// The entries exist before the watch and carry no kernel start time, so each
    /// is reported once it has been watched for --min-age, here exactly when
    /// --duration ends the watch: the last look must still be written.
    @Test("flows stuck for --min-age when --duration ends the watch are all reported")
    func durationEndReportsDueFlows() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let insert = try await StuckLoad.insert(40, in: name)
            #expect(insert.status == 0, "\(insert)")
            let result = try await CTWatchBinary.run(
                [
                    "stuck", "--netns", name, "--watch", "--json", "--min-age", "2", "--duration", "2",
                    "--cidr", "10.224.1.0/24",
                ], timeout: 60)
            #expect(!result.timedOut)
            #expect(result.status == 1, "stuck flows found: \(result.stderr)")
            let output = WatchOutput(result)
            #expect(output.endsWithCompleteLine)
            #expect(output.problems.isEmpty, "\(output.problems.prefix(3))")
            #expect(Set(output.stuckFlows).count == 40, "\(output.stuckFlows.count) findings")
            #expect(output.stuckFlows.count == 40, "each flow once")
        }
    }

    /// A resync taken during a burst can be followed by drops the kernel reports
    /// with no ENOBUFS; the periodic resync is set out of reach (an hour) so only
    /// the resync after the quiet period can find those flows.
    @Test("after a loss episode goes quiet the watch resyncs once more and knows every stuck flow")
    func resyncAfterLossEpisode() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", name, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                "--buffer-size", "4096", "--max-buffer-size", "4096", "--resync-interval", "3600", "-v",
            ])
            #expect(await watch.waitForStderr(containing: "watching", timeout: 20), "stderr: \(watch.stderrSoFar)")
            let total = 20000
            for round in 0..<4 {
                let insert = try await StuckLoad.insert(total / 4, offset: round * total / 4, in: name)
                #expect(insert.status == 0, "\(insert)")
            }
            let complete = await Poll.until(timeout: 60) {
                Set(WatchOutput(watch.stdoutSoFar).stuckFlows).count >= total
            }
            watch.signal(SIGINT)
            let result = await watch.wait(timeout: 20)
            let output = WatchOutput(result)
            #expect(result.status == 0, "\(result.stderr.suffix(500))")
            #expect(output.problems.isEmpty, "\(output.problems.prefix(3))")
            #expect(output.actions.contains("events-lost"), "a 4 KiB buffer overruns on \(total) events")
            #expect(
                result.stderr.contains("resynced from a dump after the end of a loss episode"),
                "\(result.stderr.suffix(800))")
            #expect(complete, "every stuck flow known: \(Set(output.stuckFlows).count) of \(total)")
            #expect(output.stuckFlows.count == Set(output.stuckFlows).count, "each flow once")
        }
    }
}
