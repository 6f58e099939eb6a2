import Conntrack
import Foundation
import TestSupport
import Testing

/// A tail whose reader goes away ends quietly even when no event comes.
@Suite("idle tails and a closed output", .privileged)
struct IdleReaderTests {
    @Test(
        "`ctwatch events | true` and `ctwatch stuck --watch | true` exit 0 at once on an idle table",
        arguments: [["events"], ["stuck", "--watch", "--cidr", "10.224.1.0/24", "--min-age", "100"]])
    func closedOutput(_ command: [String]) async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let binary = try CTWatchBinary.path()
            let line = ([binary] + command + ["--netns", name]).map { "'\($0)'" }.joined(separator: " ")
            // `timeout 30` (exit 124) is the failure: a tail that never notices its reader left.
            let result = try await Subprocess.run(
                "bash", ["-c", "timeout 30 \(line) | true; exit ${PIPESTATUS[0]}"], timeout: 60)
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.isEmpty, "quietly: \(result.stderr)")
        }
    }
}

/// The library's AsyncSequence keeps its subscription alive while iterated.
@Suite("subscription lifetime", .privileged)
struct SubscriptionLifetimeTests {
    @Test("iterating a subscription that nothing else holds still yields its events")
    func temporarySubscription() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            let conntrack = try Conntrack(namespace: .named(name))
            // Entries keep coming until the loop has three events: the loop subscribes when it
            // starts, and what was inserted before that is not seen.
            let producer = Task {
                var offset = 0
                while !Task.isCancelled {
                    let insert = try await Subprocess.run(
                        "ip", ["netns", "exec", name, ctload, "insert", "3", "--offset", String(offset)], timeout: 30)
                    try #require(insert.status == 0, "\(insert)")
                    offset += 3
                }
            }
            defer { producer.cancel() }
            var received = 0
            // The subscription is a temporary: only the loop's iterator holds it.
            for await element in try conntrack.subscribe() {
                if case .event = element { received += 1 }
                if received == 3 { break }
            }
            producer.cancel()
            _ = await producer.result
            #expect(received == 3)
        }
    }
}
