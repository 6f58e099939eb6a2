import Conntrack
import Foundation
import Testing
import TestSupport

/// `ctwatch events` filters: several tails run side by side on one bed, each
/// with one filter, next to an unfiltered tail. Each filtered tail must print
/// exactly the unfiltered events the filter accepts.
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
        var accepts: @Sendable (EventKind, Flow) -> Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "--proto udp", arguments: ["--proto", "udp"]) { _, flow in flow.transport == .udp },
        Case(name: "--proto tcp,icmp", arguments: ["--proto", "tcp,icmp"]) { _, flow in
            flow.transport == .tcp || flow.transport == .icmp
        },
        Case(name: "--src 10.224.1.34/32", arguments: ["--src", "10.224.1.34/32"]) { _, flow in
            flow.original.source == IPAddress("10.224.1.34")
        },
        Case(name: "--src fd00:224:1::/64", arguments: ["--src", "fd00:224:1::/64"]) { _, flow in
            flow.original.source.family == .ipv6 && flow.original.source.high == 0xFD00_0224_0001_0000
        },
        Case(name: "--dst 10.233.53.0/24", arguments: ["--dst", "10.233.53.0/24"]) { _, flow in
            flow.family == .ipv4 && flow.original.destination.ipv4Value >> 8 == 0x0AE9_35
        },
        Case(name: "--dnat", arguments: ["--dnat"]) { _, flow in flow.isDestinationNATed },
        Case(name: "--unreplied", arguments: ["--unreplied"]) { _, flow in flow.isUnreplied },
        Case(name: "--types destroy", arguments: ["--types", "destroy"]) { kind, _ in kind == .destroy },
        Case(name: "--types new,update --family ipv6", arguments: ["--types", "new,update", "--family", "ipv6"]) { kind, flow in
            kind != .destroy && flow.family == .ipv6
        },
    ]

    /// The pods' addresses: events of entries the test's traffic made start at one of them.
    static let pods = Set(["10.224.1.34", "10.224.1.56", "10.224.2.20", "fd00:224:1::34", "fd00:224:1::56", "fd00:224:2::20"])

    /// (kind, id, state, status) of each line of the test's traffic: what must match between tails.
    /// The node's own traffic (IGMP and MLD reports) is left out: it may come while the tails subscribe one by one.
    static func keys(_ output: String) -> [String] {
        jsonLines(output).compactMap { line in
            guard let value = try? StrictJSON.parse(line) else { return "unparsable line" }
            guard let source = value[path: "source", "ip"]?.stringValue, pods.contains(source) else { return nil }
            let c = value[path: "ctwatch", "conntrack"]
            return "\(value[path: "event", "action"]?.stringValue ?? "?") \(c?["id"]?.unsignedValue ?? 0) "
                + "\(c?["state"]?.stringValue ?? "-") \(c?["status"]?.description ?? "")"
        }
    }

    /// (kind, flow, key) of each event of the test's traffic in an unfiltered output.
    static func expected(_ lines: [String]) -> [(EventKind, Flow, String)] {
        let output = lines.map { $0 + "\n" }.joined()
        let values = jsonLines(output).compactMap { try? StrictJSON.parse($0) }
            .filter { pods.contains($0[path: "source", "ip"]?.stringValue ?? "") }
        return zip(values, keys(output)).compactMap { value, key in
            guard let kind = eventKind(value), let flow = JSONLineSchema.decodeFlow(value) else { return nil }
            return (kind, flow, key)
        }
    }

    @Test("Each filter prints exactly the unfiltered events it accepts")
    func filters() async throws {
        try Privilege.require()
        let bed = TestBed()
        try await bed.up()
        defer { bed.down() }

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
        calls.append(try await bed.call())                         // tcp, A -> ClusterIP (DNAT)
        calls.append(try await bed.call(udp: true))                // udp, A -> ClusterIP (DNAT)
        calls.append(try await bed.call(to: "pod"))                // tcp, A -> B, no NAT
        calls.append(try await bed.call(from: .c))                 // tcp, routed pod C -> ClusterIP
        calls.append(try await bed.call(udp: true, ipv6: true))    // udp6, A -> ClusterIP
        calls.append(try await bed.call(to: "pod", ipv6: true))    // tcp6, A -> B, no NAT
        for call in calls { #expect(call.status == 0, "\(call)") }
        let ping = try await bed.exec(.a, ["ping", "-c1", "-W2", "10.224.1.56"])
        #expect(ping.status == 0, "\(ping)")
        try await bed.bridgeNF(false)
        let stuck = try await bed.call(timeout: 1)                 // SYN_SENT [UNREPLIED], DNAT
        #expect(stuck.status == 1, "\(stuck)")
        try await bed.bridgeNF(true)
        let flush = try await bed.exec(.node, ["conntrack", "-F"]) // DESTROY for every entry of the node
        #expect(flush.status == 0, "\(flush)")

        // The flush ends every flow: done when the unfiltered tail has each one's DESTROY,
        // and each filtered tail has printed what the filter accepts of it (or the deadline passed).
        let destroyedAll = await unfiltered.waitForStdout(timeout: 30) { lines in
            let keys = Self.keys(lines.joined(separator: "\n"))
            let ids = Set(keys.map { $0.split(separator: " ")[1] })
            let destroyed = Set(keys.filter { $0.hasPrefix("conntrack-destroy ") }.map { $0.split(separator: " ")[1] })
            return !ids.isEmpty && ids == destroyed
        }
        #expect(destroyedAll, "not every flow of the test's traffic got its DESTROY: \(unfiltered.stdoutSoFar)")
        let expectedSoFar = Self.expected(unfiltered.stdoutLinesSoFar)
        for (filter, tail) in zip(Self.cases, tails) {
            let want = expectedSoFar.filter { filter.accepts($0.0, $0.1) }.map(\.2).sorted()
            _ = await tail.waitForStdout(timeout: 30) { Self.keys($0.joined(separator: "\n")).sorted() == want }
        }

        for tail in [unfiltered] + tails { tail.signal(SIGINT) }
        let all = await unfiltered.wait(timeout: 30)
        #expect(all.status == 0, "\(all)")
        #expect(eventOutputProblems(all.stdout).isEmpty, "\(eventOutputProblems(all.stdout))")
        let allEvents = Self.expected(all.stdoutLines)
        #expect(allEvents.count == Self.keys(all.stdout).count)
        #expect(allEvents.contains { $0.0 == .destroy })

        for (filter, tail) in zip(Self.cases, tails) {
            let result = await tail.wait(timeout: 30)
            #expect(result.status == 0, "\(filter.name): \(result)")
            let problems = eventOutputProblems(result.stdout)
            #expect(problems.isEmpty, "\(filter.name): \(problems)")
            let expected = allEvents.filter { filter.accepts($0.0, $0.1) }.map(\.2)
            #expect(!expected.isEmpty, "\(filter.name): the traffic made no event this filter accepts")
            #expect(expected.count < allEvents.count, "\(filter.name): the traffic made no event this filter rejects")
            #expect(Self.keys(result.stdout).sorted() == expected.sorted(), "\(filter.name)")
        }
    }
}
