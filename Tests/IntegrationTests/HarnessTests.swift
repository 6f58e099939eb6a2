import Foundation
import TestSupport
import Testing

/// The test harness itself: what the integration tests rely on to mean what they say.
@Suite("Test harness")
struct HarnessTests {
    @Test("Children start with no signal blocked or ignored, whatever the test process does")
    func childrenGetDefaultSignals() async throws {
        // LineSink ignores SIGPIPE in this process, and test threads block most signals;
        // children must not inherit either, or `ctwatch events | head` would pass even if
        // ctwatch forgot to handle EPIPE, and `kill` would not stop a test bed's servers.
        _ = signal(SIGPIPE, SIG_IGN)
        let status = try await Subprocess.run("grep", ["^Sig\\(Blk\\|Ign\\):", "/proc/self/status"])
        let masks = status.stdoutLines.compactMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
        try #require(masks.count == 2, "\(status)")
        #expect(masks[0] == 0, "SigBlk \(String(masks[0], radix: 16))")
        // glibc's own real-time signals (32, 33) may stay ignored: they are not for applications.
        #expect(masks[1] & 0x7fff_ffff == 0, "SigIgn \(String(masks[1], radix: 16))")
        // And a producer that does not handle EPIPE dies of SIGPIPE in a pipeline, as in a shell.
        let shell = try await Subprocess.run("bash", ["-c", "yes | head -1 >/dev/null; echo ${PIPESTATUS[0]}"])
        #expect(shell.stdout == "141\n", "\(shell)")
    }

    @Test("The ctwatch executable of this build is found and runs")
    func binaryFound() async throws {
        let path = try CTWatchBinary.path()
        #expect(path.hasSuffix("/ctwatch"))
        let version = try await CTWatchBinary.run(["--version"])
        #expect(version.status == 0, "\(version)")
        #expect(!version.stdout.isEmpty)
    }

    @Test("Subprocess collects both streams, feeds stdin, and kills at the deadline")
    func subprocess() async throws {
        let echo = try await Subprocess.run("bash", ["-c", "cat; echo err >&2; exit 3"], stdin: "in\n")
        #expect(echo.status == 3 && echo.stdout == "in\n" && echo.stderr == "err\n" && !echo.timedOut)
        let slow = try await Subprocess.run("sleep", ["30"], timeout: 0.5)
        #expect(slow.timedOut)
        #expect(slow.status == 128 + SIGTERM)
    }

    @Test("stopWhen stops a child by signal once its output meets the condition, and keeps what it wrote")
    func stopWhen() async throws {
        let counter = try Subprocess.start("bash", ["-c", "i=0; while :; do echo $i; i=$((i + 1)); sleep 0.05; done"])
        let run = await counter.stopWhen(timeout: 30) { $0.contains("5") }
        #expect(run.conditionMet, "\(run)")
        #expect(run.result.status == 128 + SIGTERM && !run.result.timedOut, "\(run)")
        #expect(Array(run.result.stdoutLines.prefix(6)) == ["0", "1", "2", "3", "4", "5"], "\(run)")
        // A child that ends before the condition holds: false, at once, not at the deadline.
        let quitter = try Subprocess.start("bash", ["-c", "echo one"])
        let early = await quitter.stopWhen(timeout: 300) { $0.contains("two") }
        #expect(!early.conditionMet && early.result.stdoutLines == ["one"], "\(early)")
    }

    struct DeliberateFailure: Error {}

    @Test("a scratch namespace is removed when its body fails, and names differ within a process", .privileged)
    func scratchNamespaceCleanup() async throws {
        try Privilege.require()
        var names: [String] = []
        await #expect(throws: DeliberateFailure.self) {
            try await ScratchNamespace.with { name in
                names.append(name)
                throw DeliberateFailure()
            }
        }
        try await ScratchNamespace.with { name in names.append(name) }
        try #require(names.count == 2)
        #expect(names[0] != names[1])
        for name in names {
            #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)"), "\(name) was left behind")
        }
    }
}
