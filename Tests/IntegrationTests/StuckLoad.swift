import Foundation
import TestSupport

/// StuckLoad runs the load generator (Benchmarks/ctload.c) inside a scratch namespace.
enum StuckLoad {
    /// Inserts `count` unreplied entries, all DNAT'ed by the kernel to a backend in
    /// 10.224.1.0/24 from a client of the same subnet: each one is a stuck flow.
    static func insert(_ count: Int, offset: Int = 0, in namespace: String) async throws -> ProcessResult {
        let ctload = try await OverrunTests.ctload()
        return try await Subprocess.run(
            "ip",
            [
                "netns", "exec", namespace, ctload, "insert", String(count), "--dnat-fraction", "1", "--offset",
                String(offset),
            ],
            timeout: 120)
    }

    /// Starts a loop that inserts `rounds` bursts of `burst` stuck entries, one after another.
    static func startLoop(rounds: Int, burst: Int, in namespace: String) async throws -> RunningProcess {
        let ctload = try await OverrunTests.ctload()
        let script = """
            for i in $(seq 0 \(rounds - 1)); do
              "$0" insert \(burst) --dnat-fraction 1 --offset $((i * \(burst))) 2>/dev/null
            done
            """
        return try Subprocess.start("ip", ["netns", "exec", namespace, "bash", "-c", script, ctload])
    }
}
