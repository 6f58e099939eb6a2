import Foundation
import TestSupport
import Testing

/// The tests' child processes: the exit status as a shell gives it, and a
/// child past its deadline stopped, whether Foundation or the kernel says it ended.
@Suite("test support: child processes")
struct SubprocessTests {
    @Test("an exit code, a signal and a deadline give the status a shell would")
    func statuses() async throws {
        #expect(try await Subprocess.run("/bin/sh", ["-c", "exit 3"], timeout: 30).status == 3)
        #expect(try await Subprocess.run("/bin/sh", ["-c", "kill -KILL $$"], timeout: 30).status == 128 + SIGKILL)
        let late = try await Subprocess.run("/bin/sh", ["-c", "exec sleep 60"], timeout: 0.5)
        #expect(late.timedOut && late.status == 128 + SIGTERM, "\(late)")
    }

    @Test("a child that ended is not running, and its output is all there")
    func ended() async throws {
        let child = try Subprocess.start("/bin/sh", ["-c", "echo out; echo err >&2"])
        let result = await child.wait(timeout: 30)
        #expect(!child.isRunning)
        #expect(result.status == 0 && result.stdout == "out\n" && result.stderr == "err\n", "\(result)")
    }
}
