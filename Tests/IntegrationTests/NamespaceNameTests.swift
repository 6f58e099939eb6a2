import Foundation
import TestSupport
import Testing

/// A long-running command holds the namespace it opened; when its name goes
/// away or names another namespace, the user is told once.
@Suite("a watched namespace whose name goes away", .privileged)
struct NamespaceNameTests {
    @Test(
        "events and stuck --watch say once that --netns X was deleted, then re-created, and keep running",
        arguments: [["events", "-v"], ["stuck", "--watch", "--cidr", "10.224.1.0/24", "-v"]])
    func deletedWhileWatched(command: [String]) async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let process = try CTWatchBinary.start(command + ["--netns", name])
            defer { process.signal(SIGKILL) }
            let ready = command[0] == "events" ? "subscribed" : "watching"
            #expect(await process.waitForStderr(containing: ready, timeout: 30), "\(process.stderrSoFar)")

            let delete = try await Subprocess.run("ip", ["netns", "del", name])
            try #require(delete.status == 0, "\(delete)")
            #expect(
                await process.waitForStderr(containing: "network namespace \(name) was deleted", timeout: 30),
                "\(process.stderrSoFar)")
            // Said once: re-creating the name changes nothing more to say.
            let add = try await Subprocess.run("ip", ["netns", "add", name])
            try #require(add.status == 0, "\(add)")
            #expect(process.isRunning, "the watch must go on reading the namespace it holds")

            let result = await process.stop(SIGTERM, timeout: 30)
            #expect(result.status == 0 && !result.timedOut, "\(result)")
            let warnings = result.stderrLines.filter { $0.contains("ctwatch goes on reading the one it opened") }
            #expect(warnings.count == 1, "\(result.stderr)")
        }
    }
}
