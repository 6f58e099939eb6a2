import Foundation
import TestSupport
import Testing

/// `ctwatch events --json` under a forced overrun: the events-lost record
/// says how many messages the kernel dropped, not only how many times it
/// said ENOBUFS (one per overrun episode, while the drops run to hundreds).
@Suite("ctwatch.lost.dropped", .privileged, .serialized)
struct LossCountTests {
    @Test("every events-lost line carries a drop count that is positive, at least the overruns, and never goes down")
    func droppedInJSON() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            let tail = try CTWatchBinary.start([
                "events", "--netns", name, "--json", "--buffer-size", "4096", "--max-buffer-size", "4096", "-v",
            ])
            defer { tail.signal(SIGKILL) }
            #expect(await tail.waitForStderr(containing: "subscribed", timeout: 20), "stderr: \(tail.stderrSoFar)")
            let insert = try await Subprocess.run(
                "ip", ["netns", "exec", name, ctload, "insert", "20000"], timeout: 60)
            #expect(insert.status == 0, "\(insert)")
            // The burst is over once ctload returns; wait until ctwatch has said so, then stop it.
            let deadline = Date().addingTimeInterval(30)
            while !tail.stdoutSoFar.contains("\"events-lost\"") && tail.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            tail.signal(SIGINT)
            let result = await tail.wait(timeout: 30)
            #expect(!result.timedOut, "ctwatch did not stop on SIGINT")
            let problems = JSONLineSchema.checkOutput(result.stdoutBytes).problems
            #expect(problems.isEmpty, "\(problems.prefix(3))")
            let lost = try result.stdoutLines.filter { $0.contains("\"events-lost\"") }.map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try #require((object["ctwatch"] as? [String: Any])?["lost"] as? [String: Any], "\(line)")
            }
            try #require(!lost.isEmpty, "a 4 KiB buffer must overrun on 20000 events: \(result.stderr)")
            let dropped = lost.map { $0["dropped"] as? Int }
            let overruns = lost.map { $0["overruns"] as? Int ?? 0 }
            #expect(dropped.allSatisfy { $0 != nil }, "\(lost)")
            let counts = dropped.compactMap { $0 }
            #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
            #expect(counts == counts.sorted(), "the drop count never goes down: \(counts)")
            #expect(zip(counts, overruns).allSatisfy { $0 >= $1 }, "each overrun dropped at least one message")
            #expect(result.stderr.contains("dropped by the kernel"), "\(result.stderr)")
        }
    }
}
