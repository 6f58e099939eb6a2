import Foundation
import Synchronization

/// ScratchNamespace is an empty network namespace of a test's own, named
/// `ctwt<pid>n<k>`, removed when the test is done, and removed by the next test
/// run when the process that made it died before its cleanup.
public enum ScratchNamespace {
    private static let counter = Atomic<Int>(0)

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Creates a namespace, runs `body` with its name, deletes it (also when `body` throws
    /// or an expectation fails).
    ///
    /// The process id makes names unique between test processes running at once, and the
    /// counter within one. A name taken already can only be a leftover of a dead process
    /// that had our pid (or of a process in another pid namespace): it is never reused or
    /// deleted here, the next counter value is taken instead.
    public static func with(_ body: (String) async throws -> Void) async throws {
        await Subprocess.offPool { removeStale }
        var attempts = 0
        while true {
            let name = "ctwt\(getpid())n\(counter.add(1, ordering: .relaxed).newValue)"
            let add = try await Subprocess.run("ip", ["netns", "add", name])
            if add.status != 0 {
                attempts += 1
                if add.stderr.contains("File exists") && attempts < 20 { continue }
                throw Failure(description: "ip netns add \(name) failed: \(add)")
            }
            try await Cleanup.after {
                try await body(name)
            } cleanup: {
                _ = try? await Subprocess.run("ip", ["netns", "del", name])
            }
            return
        }
    }

    /// Once per process: deletes `ctwt<pid>n<k>` namespaces whose process is gone.
    static let removeStale: Void = {
        guard let list = try? Subprocess.run("ip", ["netns", "list"], timeout: 30), list.status == 0 else { return }
        let pattern = /^(ctwt(\d+)n\d+)\b/
        for line in list.stdoutLines {
            guard let match = try? pattern.firstMatch(in: line), let pid = Int32(match.output.2),
                pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            _ = try? Subprocess.run("ip", ["netns", "del", String(match.output.1)], timeout: 30)
        }
    }()
}
