import Conntrack
import Foundation
import TestSupport
import Testing

/// `--mark`: the kernel-side mark filter of dumps (CTA_MARK/CTA_MARK_MASK) and
/// of event subscriptions (the BPF filter), with the same check in Swift.
@Suite("mark filters on the real kernel", .privileged)
struct MarkFilterTests {
    @Test("list and events keep only the entries whose mark matches")
    func markFilter() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            // In the test's own node namespace: pod A's connections get mark 7.
            let rule = try await bed.exec(
                .node,
                [
                    "iptables", "-t", "mangle", "-A", "PREROUTING", "-s", "10.224.1.34", "-j", "CONNMARK", "--set-mark",
                    "7",
                ])
            try #require(rule.status == 0, "\(rule)")
            let tail = try CTWatchBinary.start(["events", "--netns", bed.node, "--mark", "7", "--types", "new", "-v"])
            defer { tail.signal(SIGKILL) }
            try #require(await tail.waitForStderr(containing: "subscribed", timeout: 30), "\(tail.stderrSoFar)")
            // B's call, which carries no mark, first: its NEW event was sent before A's call
            // began, so once A's arrives B's would have been there already had the filter let it through.
            #expect(try await bed.call(from: .b, to: "cluster").status == 0)
            #expect(try await bed.call(from: .a).status == 0)
            let run = await tail.stopWhen(timeout: 30) { lines in lines.contains { $0.contains("src=10.224.1.34") } }
            #expect(run.conditionMet, "\(run)")
            let events = run.result
            #expect(events.stdoutLines.count == 1, "only A's NEW event: \(events.stdout)")
            #expect(events.stdout.contains("src=10.224.1.34") && events.stdout.contains("mark=7"))

            for (argument, expected) in [("7", 1), ("0x7", 1), ("0x3/0x3", 1), ("8", 0), ("0/0xffffffff", -1)] {
                let list = try await CTWatchBinary.run([
                    "list", "--netns", bed.node, "--proto", "tcp", "--mark", argument,
                ])
                #expect(list.status == 0, "\(list)")
                let marked = list.stdoutLines.filter { $0.contains("mark=7") }
                if expected >= 0 {
                    #expect(
                        list.stdoutLines.count == expected && marked.count == expected,
                        "--mark \(argument): \(list.stdout)"
                    )
                } else {
                    #expect(
                        marked.isEmpty && !list.stdoutLines.isEmpty,
                        "--mark \(argument) keeps the unmarked: \(list.stdout)"
                    )
                }
            }
            let bad = try await CTWatchBinary.run(["list", "--netns", bed.node, "--mark", "0x1g"])
            #expect(
                bad.status == 2 && bad.stderrLines.count == 1 && bad.stderr.hasPrefix("ctwatch: error: invalid --mark"))
        }
    }
}
