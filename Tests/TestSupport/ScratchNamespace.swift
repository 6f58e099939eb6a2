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

    /// Creates a namespace, runs `body` with its name, deletes it.
    public static func with(_ body: (String) async throws -> Void) async throws {
        removeStale
        let name = "ctwt\(getpid())n\(counter.add(1, ordering: .relaxed).newValue)"
        let add = try await Subprocess.run("ip", ["netns", "add", name])
        guard add.status == 0 else { throw Failure(description: "ip netns add \(name) failed: \(add)") }
        defer { _ = try? Subprocess.run("ip", ["netns", "del", name]) }
        try await body(name)
    }

    /// Once per process: deletes `ctwt<pid>n<k>` namespaces whose process is gone.
    static let removeStale: Void = {
        guard let list = try? Subprocess.run("ip", ["netns", "list"], timeout: 30), list.status == 0 else { return }
        let pattern = /^(ctwt(\d+)n\d+)\b/
        for line in list.stdoutLines {
            guard let match = try? pattern.firstMatch(in: line), let pid = Int32(match.output.2),
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            _ = try? Subprocess.run("ip", ["netns", "del", String(match.output.1)], timeout: 30)
        }
    }()
}
