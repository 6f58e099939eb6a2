import Conntrack
import Foundation
import TestSupport
import Testing

/// `ctwatch events` filters: several tails run side by side on one bed, each
/// with one filter, next to an unfiltered tail and `conntrack -E -o id`. The
/// unfiltered tail must print exactly the events conntrack saw, and each
/// filtered tail exactly those the filter accepts, judged on conntrack's lines.
///
/// The comparison is of multisets, not sequences: the kernel broadcasts an event to
/// the listening sockets one after the other, so two events of one entry raised at
/// once on two CPUs (a packet each way) can reach two sockets in opposite orders.
/// Each key names its entry (the conntrack id), so equal multisets mean every flow
/// got exactly its events, in every tail.
@Suite("ctwatch events filters", .privileged)
struct FilterIntegrationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        /// Whether the filter accepts the event `conntrack -E` printed as this line.
        var accepts: @Sendable (ConntrackLine) -> Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "--proto udp", arguments: ["--proto", "udp"]) { $0.protocolName == "udp" },
        Case(name: "--proto tcp,icmp", arguments: ["--proto", "tcp,icmp"]) {
            ["tcp", "icmp"].contains($0.protocolName)
        },
        Case(name: "--src 10.224.1.34/32", arguments: ["--src", "10.224.1.34/32"]) {
            $0.original.source == "10.224.1.34"
        },
        Case(name: "--src fd00:224:1::/64", arguments: ["--src", "fd00:224:1::/64"]) {
            $0.original.source.hasPrefix("fd00:224:1:")
        },
        Case(name: "--dst 10.233.53.0/24", arguments: ["--dst", "10.233.53.0/24"]) {
            $0.original.destination.hasPrefix("10.233.53.")
        },
        Case(name: "--dnat", arguments: ["--dnat"]) {
            $0.original.destination != $0.reply.source || $0.original.destinationPort != $0.reply.sourcePort
        },
        Case(name: "--unreplied", arguments: ["--unreplied"]) { $0.unreplied },
        Case(name: "--types destroy", arguments: ["--types", "destroy"]) { $0.event == "DESTROY" },
        Case(name: "--types new,update --family ipv6", arguments: ["--types", "new,update", "--family", "ipv6"]) {
            $0.event != "DESTROY" && $0.isIPv6
        },
    ]

    /// The pods' addresses: events of entries the test's traffic made start at one of them.
    static let pods = Set([
        "10.224.1.34", "10.224.1.56", "10.224.2.20", "fd00:224:1::34", "fd00:224:1::56", "fd00:224:2::20",
    ])

    /// (kind, id, state, seen reply) of each line of the test's traffic in ctwatch's output:
    /// what must match conntrack's events. The node's own traffic (IGMP and MLD reports)
    /// is left out: it may come while the listeners subscribe one by one.
    static func keys(_ stdout: [UInt8]) -> [String] {
        jsonValues(stdout).compactMap { value in
            guard let source = value[path: "source", "ip"]?.stringValue, pods.contains(source) else { return nil }
            let c = value[path: "ctwatch", "conntrack"]
            return "\(value[path: "event", "action"]?.stringValue ?? "?") \(c?["id"]?.unsignedValue ?? 0) "
                + "\(c?["state"]?.stringValue ?? "-") \(c?["seen_reply"]?.description ?? "?")"
        }
    }

    /// The same key for an event line of `conntrack -E -o id`.
    static func key(_ line: ConntrackLine) -> String {
        "conntrack-\((line.event ?? "?").lowercased()) \(line.id ?? 0) \(line.state ?? "-") \(!line.unreplied)"
    }

    /// The events of the test's traffic that `conntrack -E` printed.
    static func conntrackEvents(_ output: String) -> [ConntrackLine] {
        ConntrackLine.entries(output).filter { $0.event != nil && pods.contains($0.original.source) }
    }

    @Test("Each filter prints exactly the events conntrack -E saw that it accepts")
    func filters() async throws {
        try Privilege.require()
        try await TestBed.with { bed in

            // conntrack -E says nothing once it listens: an entry inserted until it shows one proves it does.
            let watcher = try Subprocess.start("ip", ["netns", "exec", bed.node, "conntrack", "-E", "-o", "id"])
            defer { watcher.signal(SIGKILL) }
            var listening = false
            for marker in 40000..<40100 where !listening {
                let insert = try await bed.exec(
                    .node,
                    [
                        "conntrack", "-I", "-p", "udp", "-s", "192.0.2.1", "-d", "192.0.2.2", "--sport", String(marker),
                        "--dport", "9",
                        "-r", "192.0.2.2", "-q", "192.0.2.1", "--reply-port-src", "9", "--reply-port-dst",
                        String(marker),
                        "-t", "100",
                    ])
                try #require(insert.status == 0, "\(insert)")
                listening = await watcher.waitForStdout(timeout: 1) { $0.contains { $0.contains("sport=\(marker) ") } }
            }
            try #require(
                listening, "conntrack -E showed no inserted entry: \(watcher.stdoutSoFar) \(watcher.stderrSoFar)")

            let base = ["events", "--netns", bed.node, "--json", "-v"]
            let unfiltered = try CTWatchBinary.start(base)
            let tails = try Self.cases.map { try CTWatchBinary.start(base + $0.arguments) }
            defer { for tail in [unfiltered] + tails { tail.signal(SIGKILL) } }
            for tail in [unfiltered] + tails {
                let ready = await tail.waitForStderr(containing: "subscribed", timeout: 30)
                try #require(ready, "a tail did not subscribe: \(tail.command) \(tail.stderrSoFar)")
            }

            // Traffic of every kind the filters tell apart.
            var calls: [TestBed.CallResult] = []
            calls.append(try await bed.call())  // tcp, A -> ClusterIP (DNAT)
            calls.append(try await bed.call(udp: true))  // udp, A -> ClusterIP (DNAT)
            calls.append(try await bed.call(to: "pod"))  // tcp, A -> B, no NAT
            calls.append(try await bed.call(from: .c))  // tcp, routed pod C -> ClusterIP
            calls.append(try await bed.call(udp: true, ipv6: true))  // udp6, A -> ClusterIP
            calls.append(try await bed.call(to: "pod", ipv6: true))  // tcp6, A -> B, no NAT
            for call in calls { #expect(call.status == 0, "\(call)") }
            let ping = try await bed.exec(.a, ["ping", "-c1", "-W2", "10.224.1.56"])
            #expect(ping.status == 0, "\(ping)")
            try await bed.bridgeNF(false)
            let stuck = try await bed.call(timeout: 1)  // SYN_SENT [UNREPLIED], DNAT
            #expect(stuck.status == 1, "\(stuck)")
            try await bed.bridgeNF(true)
            let flush = try await bed.exec(.node, ["conntrack", "-F"])  // DESTROY for every entry of the node
            #expect(flush.status == 0, "\(flush)")

            // The flush ends every flow: done when conntrack -E has each one's DESTROY, and each
            // tail has printed what it must of them (or the deadline passed).
            let destroyedAll = await watcher.waitForStdout(timeout: 30) { lines in
                let events = Self.conntrackEvents(lines.joined(separator: "\n"))
                let ids = Set(events.compactMap(\.id))
                return !ids.isEmpty && ids == Set(events.filter { $0.event == "DESTROY" }.compactMap(\.id))
            }
            #expect(
                destroyedAll, "conntrack -E did not see every flow of the test's traffic end: \(watcher.stdoutSoFar)")
            let seenSoFar = Self.conntrackEvents(watcher.stdoutSoFar)
            _ = await unfiltered.waitForStdout(timeout: 30) {
                Self.keys(bytes(ofLines: $0)).sorted() == seenSoFar.map(Self.key).sorted()
            }
            for (filter, tail) in zip(Self.cases, tails) {
                let want = seenSoFar.filter(filter.accepts).map(Self.key).sorted()
                _ = await tail.waitForStdout(timeout: 30) { Self.keys(bytes(ofLines: $0)).sorted() == want }
            }

            for tail in [unfiltered] + tails { tail.signal(SIGINT) }
            let seen = Self.conntrackEvents(await watcher.stop(SIGTERM).stdout)
            #expect(seen.contains { $0.event == "DESTROY" })
            #expect(Set(seen.compactMap(\.event)) == ["NEW", "UPDATE", "DESTROY"], "\(seen)")
            let all = await unfiltered.wait(timeout: 30)
            #expect(all.status == 0, "\(all)")
            #expect(eventOutputProblems(all.stdoutBytes).isEmpty, "\(eventOutputProblems(all.stdoutBytes))")
            #expect(
                Self.keys(all.stdoutBytes).sorted() == seen.map(Self.key).sorted(),
                "unfiltered: every event conntrack saw, and no other")

            for (filter, tail) in zip(Self.cases, tails) {
                let result = await tail.wait(timeout: 30)
                #expect(result.status == 0, "\(filter.name): \(result)")
                let problems = eventOutputProblems(result.stdoutBytes)
                #expect(problems.isEmpty, "\(filter.name): \(problems)")
                let expected = seen.filter(filter.accepts).map(Self.key)
                #expect(!expected.isEmpty, "\(filter.name): the traffic made no event this filter accepts")
                #expect(expected.count < seen.count, "\(filter.name): the traffic made no event this filter rejects")
                #expect(Self.keys(result.stdoutBytes).sorted() == expected.sorted(), "\(filter.name)")
            }
        }
    }
}
