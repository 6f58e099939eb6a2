import Conntrack
import Foundation
import TestSupport
import Testing

/// The `ctwatch` executable against the test bed: list, the events pipe, filters.
@Suite("ctwatch against the test bed", .privileged)
struct CLIIntegrationTests {
    @Test(
        "list sees the SYN_SENT [UNREPLIED] DNAT entry of a call with bridge-nf off, in text and JSON",
        arguments: [false, true])
    func listStuckEntry(ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)

            let call = try await bed.call(ipv6: ipv6, timeout: 1)
            #expect(call.status == 1, "the call must time out with bridge-nf off: \(call)")
            #expect(call.stderr.contains("timed out"))
            let port = try #require(call.failedSourcePorts.first, "no source port in: \(call.stderr)")

            let a = Bed.podA(ipv6)
            let cluster = Bed.clusterIP(ipv6)
            let b = Bed.podB(ipv6)
            let text = try await CTWatchBinary.run(["list", "--netns", bed.node])
            #expect(text.status == 0 && text.stderr.isEmpty, "\(text)")
            let pattern =
                "^tcp 6 ([0-9]+) SYN_SENT src=\(a) dst=\(cluster) sport=\(port) dport=8080 \\[UNREPLIED\\] "
                + "src=\(b) dst=\(a) sport=8080 dport=\(port) id=([0-9]+)$"
            let regex = try Regex(pattern)
            let matches = text.stdoutLines.compactMap { try? regex.wholeMatch(in: $0) }
            #expect(matches.count == 1, "no exact line for sport \(port) in:\n\(text.stdout)")
            let match = try #require(matches.first)
            let timeout = try #require(Int(match.output[1].substring ?? ""))
            // SYN_SENT lasts 120 s; how much is left depends on how slow the machine is.
            #expect((1...120).contains(timeout))
            let id = try #require(UInt32(match.output[2].substring ?? ""))

            // conntrack itself, in the same namespace, lists the same entry under the same id.
            let conntrack = try await bed.exec(
                .node, ["conntrack", "-L", "-o", "id", "-f", ipv6 ? "ipv6" : "ipv4", "-p", "tcp"])
            let entry = try #require(conntrack.stdoutLines.first { $0.hasSuffix(" id=\(id)") }, "\(conntrack)")
            // Read after ctwatch's listing: the same countdown, no more left than ctwatch showed.
            let left = try #require(Int(entry.split(separator: " ").dropFirst(2).first ?? ""), "\(entry)")
            #expect(left <= timeout, "conntrack \(left) s left, ctwatch \(timeout) s")
            #expect(
                entry.contains(
                    "SYN_SENT src=\(a) dst=\(cluster) sport=\(port) dport=8080 [UNREPLIED] src=\(b) dst=\(a) sport=8080 dport=\(port) mark=0 use=1 id=\(id)"
                ))

            let json = try await CTWatchBinary.run(["list", "--netns", bed.node, "--json"])
            #expect(json.status == 0 && json.stderr.isEmpty, "\(json)")
            let problems = listOutputProblems(json.stdoutBytes)
            #expect(problems.isEmpty, "\(problems)")
            // Every line against conntrack's own listing of the namespace, taken right after
            // (nothing else makes traffic in the bed, so the table holds still between the reads).
            let after = try await bed.exec(.node, ["conntrack", "-L", "-o", "id"])
            #expect(after.status == 0, "\(after)")
            let values = jsonValues(json.stdoutBytes)
            #expect(values.count == ConntrackLine.entries(after.stdout).count, "one line per entry: \(after.stdout)")
            let mismatches = JSONLineSchema.conntrackProblems(values, conntrackOutput: after.stdout)
            #expect(mismatches.isEmpty, "\(mismatches)")
            let stuck = try #require(
                values.first { $0[path: "ctwatch", "conntrack", "id"]?.unsignedValue == UInt64(id) })
            #expect(stuck[path: "source", "ip"] == .string(a.description))
            #expect(stuck[path: "source", "port"] == .number(String(port)))
            #expect(stuck[path: "destination", "ip"] == .string(cluster.description))
            #expect(stuck[path: "destination", "port"] == .number("8080"))
            #expect(stuck[path: "destination", "nat", "ip"] == .string(b.description))
            #expect(stuck[path: "destination", "nat", "port"] == .number("8080"))
            #expect(stuck[path: "network", "type"] == .string(ipv6 ? "ipv6" : "ipv4"))
            #expect(stuck[path: "ctwatch", "conntrack", "state"] == .string("SYN_SENT"))
            #expect(stuck[path: "ctwatch", "conntrack", "seen_reply"] == .bool(false))
            #expect(stuck["message"]?.stringValue?.hasSuffix("SYN_SENT [UNREPLIED]") == true)

            // The filters of the seed's question select exactly that entry.
            let filtered = try await CTWatchBinary.run(["list", "--netns", bed.node, "--dnat", "--unreplied", "--json"])
            #expect(filtered.status == 0, "\(filtered)")
            #expect(listOutputProblems(filtered.stdoutBytes).isEmpty, "\(listOutputProblems(filtered.stdoutBytes))")
            #expect(conntrackIDs(jsonValues(filtered.stdoutBytes)) == [UInt64(id)], "\(filtered)")
        }
    }

    @Test("events --json --count N into a real JSON parser: exactly N valid lines, exit 0")
    func eventsIntoJSONParser() async throws {
        try Privilege.require()
        try await TestBed.with { bed in

            let count = 15
            let pipeline = try CTWatchBinary.pipelineIntoJSONParser(
                ["events", "--netns", bed.node, "--json", "--count", String(count), "-v"], deadline: 60)
            let subscribed = await Poll.until(timeout: 30) { pipeline.producerStderrSoFar.contains("subscribed") }
            #expect(subscribed, "ctwatch did not say it subscribed: \(pipeline.producerStderrSoFar)")
            var calls = 0
            while pipeline.isRunning && calls < 20 {
                _ = try await bed.call(count: 2)
                calls += 1
            }
            let result = await pipeline.finish()
            #expect(result.producerStatus == 0, "\(result)")
            #expect(result.consumerStatus == 0, "\(result)")
            let parsed = try CTWatchBinary.ParsedLines(pythonOutput: result.consumerStdout)
            #expect(parsed.lines == count)
            #expect(parsed.errors.isEmpty, "\(parsed.errors)")
            #expect(parsed.objects.count == count)
            // The checks read the bytes ctwatch wrote into the pipe, as the parser received them.
            #expect(parsed.raw.count == parsed.bytes, "\(parsed.raw.count) raw bytes, the parser read \(parsed.bytes)")
            let problems = eventOutputProblems(parsed.raw)
            #expect(problems.isEmpty, "\(problems)")
            let values = jsonValues(parsed.raw)
            #expect(values.count == count)
            // The calls go from pod A to the ClusterIP, DNAT'ed to pod B: the test bed's fixed addresses.
            let callLines = values.filter {
                $0[path: "source", "ip"] == .string("10.224.1.34")
                    && $0[path: "destination", "ip"] == .string("10.233.53.172")
            }
            try #require(!callLines.isEmpty, "no line of a call to the ClusterIP: \(values)")
            for call in callLines {
                #expect(call[path: "destination", "port"] == .number("8080"), "\(call)")
                #expect(call[path: "destination", "nat", "ip"] == .string("10.224.1.56"), "\(call)")
                #expect(call[path: "destination", "nat", "port"] == .number("8080"), "\(call)")
                #expect(call[path: "network", "transport"] == .string("tcp"), "\(call)")
            }
            // Their ids are the kernel's: conntrack lists the entries (in TIME_WAIT for minutes) under them.
            let table = try await bed.exec(.node, ["conntrack", "-L", "-o", "id"])
            let tableIDs = Set(ConntrackLine.entries(table.stdout).compactMap { $0.id.map(UInt64.init) })
            let callIDs = Set(conntrackIDs(callLines))
            #expect(!callIDs.isEmpty && callIDs.isSubset(of: tableIDs), "ids \(callIDs) not all in:\n\(table.stdout)")
            #expect(result.producerStderr.contains("\(count) events written"))
        }
    }

    @Test("ctwatch events | head -3 ends quietly with status 0 once head is gone")
    func eventsIntoHead() async throws {
        try Privilege.require()
        try await TestBed.with { bed in

            let pipeline = try CTWatchBinary.pipeline(
                ["events", "--netns", bed.node], into: ["head", "-3"], deadline: 60)
            var calls = 0
            // Keep making events until head has its three lines (calls before ctwatch subscribed
            // are simply not seen); ctwatch sees EPIPE at its first write after head exits.
            while pipeline.isRunning && calls < 40 {
                _ = try await bed.call(count: 2)
                calls += 1
            }
            let result = await pipeline.finish()
            #expect(!result.timedOut, "ctwatch kept running after head exited: \(result)")
            #expect(result.producerStatus == 0, "\(result)")
            #expect(result.producerStderr.isEmpty, "\(result)")
            #expect(result.consumerStatus == 0)
            let lines = result.consumerStdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == 3)
            let line = try Regex(
                #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \[(NEW|UPDATE|DESTROY)\] (tcp 6|udp 17|igmp 2|icmpv6 58|icmp 1) .* id=\d+$"#
            )
            for text in lines { #expect((try? line.wholeMatch(in: String(text))) != nil, "\(text)") }
        }
    }
}

/// Bad input to the executable: one line on stderr, exit status 2, nothing on stdout.
@Suite("ctwatch usage errors")
struct CLIUsageErrorTests {
    static let missingNamespace = "ctwt\(getpid())-no-such-netns"

    @Test(
        "Bad input is one error line and exit status 2",
        arguments: [
            ["list", "--src", "10.0.0.0/33"],
            ["list", "--dst", "not-a-cidr"],
            ["events", "--src", "10.224.1.0/24x"],
            ["events", "--dst", "fd00::/129"],
            ["list", "--netns", CLIUsageErrorTests.missingNamespace],
            ["events", "--netns", CLIUsageErrorTests.missingNamespace],
            ["events", "--netns", "/nonexistent/ns/net"],
            ["events", "--types", "new,bogus"],
            ["events", "--types", ""],
            ["list", "--family", "ipx"],
            ["events", "--family", "7"],
            ["list", "--proto", "tcpx"],
            ["events", "--count", "0"],
            ["events", "--duration", "-1"],
            ["list", "--no-such-flag"],
            ["stats", "--interval", "0", "--count", "1"],
            ["stats", "--interval", "-1", "--count", "1"],
            ["stats", "--interval", "1s", "--count", "1"],
            ["stats", "--count", "0"],
            ["stats", "--netns", CLIUsageErrorTests.missingNamespace, "--count", "1"],
        ])
    func badInput(arguments: [String]) async throws {
        let result = try await CTWatchBinary.run(arguments, timeout: 20)
        #expect(!result.timedOut, "\(result)")
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderr.hasPrefix("ctwatch: error:"), "\(result)")
        #expect(result.stderr.hasSuffix("\n"))
    }

    @Test(
        "The error names what was wrong",
        arguments: [
            (["list", "--src", "10.0.0.0/33"], "10.0.0.0/33"),
            (["list", "--netns", CLIUsageErrorTests.missingNamespace], CLIUsageErrorTests.missingNamespace),
            (["events", "--types", "new,bogus"], "bogus"),
            (["list", "--family", "ipx"], "ipx"),
            (["stats", "--interval", "1s", "--count", "1"], "--interval 1s"),
            (
                ["stats", "--netns", CLIUsageErrorTests.missingNamespace, "--count", "1"],
                CLIUsageErrorTests.missingNamespace
            ),
        ])
    func errorNamesTheInput(arguments: [String], culprit: String) async throws {
        let result = try await CTWatchBinary.run(arguments, timeout: 20)
        #expect(result.stderr.contains(culprit), "\(result)")
    }
}
