import Conntrack
import Foundation
import TestSupport
import Testing

/// Forced receive-buffer overruns: the loss must be reported, counted, and the
/// stream must go on.
@Suite("event loss on the real kernel", .privileged, .serialized)
struct OverrunTests {
    /// Builds Benchmarks/ctload.c (the load generator) once per test run.
    static let loadGenerator: Result<String, any Error> = Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ctwatch-ctload-\(getpid())").path
        let source = RepositoryLayout.root.appendingPathComponent("Benchmarks/ctload.c").path
        let flags = try Subprocess.run("pkg-config", ["--cflags", "--libs", "libnetfilter_conntrack", "libmnl"])
        let build = try Subprocess.run(
            "cc",
            ["-O2", "-o", output, source]
                + flags.stdout.split(separator: " ").map(String.init).map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines)
                }.filter { !$0.isEmpty }, timeout: 120)
        guard build.status == 0 else { throw LoadGeneratorError(description: "cannot build ctload: \(build)") }
        return output
    }

    /// The path of the built load generator; the first caller builds it, off the concurrency pool.
    static func ctload() async throws -> String {
        try await Subprocess.offPool { loadGenerator }.get()
    }

    struct LoadGeneratorError: Error, CustomStringConvertible {
        var description: String
    }

    @Test(
        "the library reports an overrun with a count and the socket's drop count, as an element of the stream, and the stream goes on"
    )
    func libraryOverrun() async throws {
        try Privilege.require()
        let ctload = try await Self.ctload()
        try await ScratchNamespace.with { name in
            var options = EventSubscription.Options()
            options.types = [.new, .destroy]
            options.bufferSize = 4096  // the kernel's floor is a few KiB: a burst cannot fit
            options.maxBufferSize = 4096
            let subscription = try Conntrack(namespace: .named(name)).subscribe(options)
            let recorder = EventRecorder(subscription)
            let insert = try await Subprocess.run(
                "ip", ["netns", "exec", name, ctload, "insert", "20000"], timeout: 60)
            #expect(insert.status == 0, "\(insert)")
            // After the burst: one more, slower change that must still arrive.
            _ = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "flush"], timeout: 60)
            #expect(await recorder.wait(timeout: 20) { events in events.contains { $0.kind == .destroy } })
            await recorder.stop()
            let losses = recorder.losses
            try #require(!losses.isEmpty, "a 4 KiB buffer cannot hold a 20000-event burst")
            #expect(losses.map(\.overruns) == Array(1...losses.count), "a running count, one per overrun")
            #expect(recorder.events.count > 0 && recorder.events.count < 40000)
            // The kernel's own count of what it dropped: positive, never going down.
            let dropped = losses.compactMap(\.droppedMessages)
            #expect(dropped.count == losses.count, "every loss carries a drop count")
            #expect(dropped.allSatisfy { $0 > 0 }, "\(dropped)")
            #expect(dropped == dropped.sorted(), "the count never goes down: \(dropped)")
            // What arrived plus what the kernel says it dropped cannot exceed what was sent.
            #expect(Int(dropped.last ?? 0) + recorder.events.count <= 40000)
            // The running count goes on after the last report of the episode.
            let total = try #require(subscription.droppedMessages)
            #expect(total >= dropped.last ?? 0)
            #expect(Int(total) + recorder.events.count <= 40000)
        }
    }

    @Test("ctwatch events --json writes an events-lost line with the running total, warns on stderr, and goes on")
    func commandOverrun() async throws {
        try Privilege.require()
        let ctload = try await Self.ctload()
        try await ScratchNamespace.with { name in
            let tail = try CTWatchBinary.start([
                "events", "--netns", name, "--json", "--buffer-size", "4096", "--max-buffer-size", "4096", "-v",
            ])
            defer { tail.signal(SIGKILL) }
            try #require(await tail.waitForStderr(containing: "subscribed", timeout: 30), "\(tail.stderrSoFar)")
            let insert = try await Subprocess.run(
                "ip", ["netns", "exec", name, ctload, "insert", "20000"], timeout: 60)
            #expect(insert.status == 0, "\(insert)")
            let flush = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "flush"], timeout: 60)
            #expect(flush.status == 0, "\(flush)")
            // Done when a DESTROY of the flush follows a loss: the stream went on.
            let run = await tail.stopWhen(timeout: 30) { lines in
                guard let loss = lines.firstIndex(where: { $0.contains("\"events-lost\"") }) else { return false }
                return lines[loss...].contains { $0.contains("\"conntrack-destroy\"") }
            }
            #expect(run.conditionMet, "\(run)")
            let result = run.result
            #expect(result.status == 0, "\(result.stderr)")
            let problems = JSONLineSchema.checkOutput(result.stdoutBytes).problems
            #expect(problems.isEmpty, "\(problems.prefix(3))")
            var lost: [[String: Any]] = []
            var eventsAfterLoss = 0
            for line in result.stdoutLines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let event = object["event"] as? [String: Any]
                if event?["action"] as? String == "events-lost" {
                    lost.append(object)
                } else if !lost.isEmpty {
                    eventsAfterLoss += 1
                }
            }
            try #require(!lost.isEmpty, "no events-lost line in \(result.stdoutLines.count) lines")
            let counts = lost.compactMap {
                (($0["ctwatch"] as? [String: Any])?["lost"] as? [String: Any])?["overruns"] as? Int
            }
            #expect(counts == Array(1...lost.count))
            #expect((lost[0]["event"] as? [String: Any])?["kind"] as? String == "pipeline_error")
            #expect((lost[0]["log"] as? [String: Any])?["level"] as? String == "error")
            #expect(eventsAfterLoss > 0, "the stream goes on after a loss")
            #expect(result.stderr.contains("events lost"), "\(result.stderr)")
        }
    }
}

/// After lost events `stuck --watch` must resync from a dump and say so.
@Suite("stuck --watch after lost events", .privileged)
struct StuckResyncTests {
    @Test("an overrun is reported as events-lost with resync true, and the watch resyncs from a dump")
    func resyncAfterOverrun() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            // No periodic re-dump during the test: only the resync after the loss may find what was lost.
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", name, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                "--buffer-size", "4096", "--resync-interval", "3600", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            // Every entry DNAT'ed to a backend in 10.224.1.0/24 and unreplied: each one is stuck.
            let insert = try await Subprocess.run(
                "ip", ["netns", "exec", name, ctload, "insert", "5000", "--dnat-fraction", "1"], timeout: 60)
            #expect(insert.status == 0, "\(insert)")
            let run = await watch.stopWhen(timeout: 60) { lines in
                lines.filter { $0.contains("\"dnat-unreplied\"") }.count >= 5000
            }
            #expect(run.conditionMet, "\(run.result.stdoutLines.count) lines; stderr: \(run.result.stderr)")
            let result = run.result
            #expect(
                result.status == 0 && !result.timedOut, "SIGTERM is an orderly end of a watch: exit 0: \(result.stderr)"
            )
            let problems = JSONLineSchema.checkOutput(result.stdoutBytes).problems
            #expect(problems.isEmpty, "\(problems.prefix(3))")
            var stuck = Set<String>()
            var lost: [[String: Any]] = []
            for line in result.stdoutLines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let event = object["event"] as? [String: Any]
                switch event?["action"] as? String {
                case "events-lost": lost.append(object)
                case "dnat-unreplied":
                    let id = (object["network"] as? [String: Any])?["community_id"] as? String
                    #expect(stuck.insert(id ?? "").inserted, "a flow is reported once")
                default: break
                }
            }
            try #require(!lost.isEmpty, "a 4 KiB buffer must overrun on 5000 events")
            #expect(
                lost.allSatisfy {
                    (($0["ctwatch"] as? [String: Any])?["lost"] as? [String: Any])?["resync"] as? Bool == true
                })
            #expect(result.stderr.contains("resynced from a dump after lost events"), "\(result.stderr)")
            #expect(stuck.count == 5000, "the resync finds every flow the lost events did not bring")
        }
    }
}

/// `--reliable` (NETLINK_BROADCAST_ERROR): back-pressure on the kernel, and
/// the losses it cannot retry still reported.
@Suite("reliable delivery", .privileged)
struct ReliableDeliveryTests {
    @Test("a slow reliable listener holds back a flush, and NEW events the kernel cannot retry are still reported lost")
    func backPressure() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            let tail = try CTWatchBinary.start([
                "events", "--netns", name, "--json", "--reliable", "--buffer-size", "4096", "--max-buffer-size", "4096",
                "-v",
            ])
            defer { tail.signal(SIGKILL) }
            try #require(
                await tail.waitForStderr(containing: "reliable delivery on", timeout: 30), "\(tail.stderrSoFar)")
            let insert = try await Subprocess.run(
                "ip", ["netns", "exec", name, ctload, "insert", "20000"], timeout: 60)
            #expect(insert.status == 0, "\(insert)")
            // The listener stays subscribed until the flush has returned: what the kernel held
            // back depends on the listener being there, not on how fast this machine is.
            let flush = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "flush"], timeout: 60)
            let run = await tail.stopWhen(timeout: 30) { lines in lines.contains { $0.contains("\"events-lost\"") } }
            let result = run.result
            // ctload: "flush removed N entries ... table 20000 -> M"
            let removed = flush.stderr.split(separator: " ").drop { $0 != "removed" }.dropFirst().first.flatMap {
                Int($0)
            }
            #expect((removed ?? 20000) < 20000, "the kernel held the flush back for the listener: \(flush.stderr)")
            let problems = JSONLineSchema.checkOutput(result.stdoutBytes).problems
            #expect(problems.isEmpty, "\(problems.prefix(3))")
            let lost = result.stdoutLines.filter { $0.contains("\"events-lost\"") }
            #expect(!lost.isEmpty, "losses are reported in reliable mode too: \(result.stderr)")
            _ = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "flush"], timeout: 60)
        }
    }
}
