import Conntrack
import Foundation
import TestSupport
import Testing

/// `statistics()` and `ctwatch stats` against `conntrack -S` and `conntrack -C`,
/// in scratch namespaces.
///
/// Why the comparisons can be exact: the per-CPU counters and the entry count
/// are the namespace's own, and nothing but the test acts in a scratch
/// namespace (no traffic, no other process, and its nf_conntrack hooks are
/// only registered when the test adds an nft rule that needs them). A
/// ctnetlink dump or count does not move any counter. So between the test's
/// own actions every counter stands still, and ctwatch and conntrack-tools
/// must read the same numbers; each test also reads twice around conntrack's
/// read to show nothing moved.
///
/// Nonzero counters made on purpose: `insert` by `conntrack -I` (one per
/// entry), `invalid` by TCP segments with SYN and RST both set sent to
/// 127.0.0.1 through an nft `ct state` rule (two per segment: conntrack sees
/// it on output and again on input). `drop` and `early_drop` cannot be made
/// here: they need a table at `nf_conntrack_max`, which is read-only inside a
/// namespace (6.18) and host-wide, so only the root namespace could lower it;
/// the insert races behind `insert_failed` and `clash_resolve` are not
/// deterministic.
@Suite("conntrack statistics on the real kernel", .privileged, .serialized)
struct StatisticsTests {
    /// Inserts `count` TCP entries over ctnetlink with conntrack-tools.
    static func insert(_ count: Int, offset: Int = 0, in namespace: String) async throws {
        let script = """
            for port in $(seq \(1000 + offset) \(1000 + offset + count - 1)); do
              conntrack -I -p tcp -s 10.0.0.1 -d 10.0.0.2 --sport $port --dport 80 --state ESTABLISHED \\
                -u SEEN_REPLY -t 300 2>/dev/null || exit 1
            done
            """
        let result = try await Subprocess.run("ip", ["netns", "exec", namespace, "sh", "-c", script], timeout: 120)
        #expect(result.status == 0, "\(result)")
    }

    /// Sends `count` invalid TCP segments (SYN and RST set) to 127.0.0.1 through an nft rule
    /// that makes conntrack look at them: `invalid` grows by 2 per segment.
    static func sendInvalid(_ count: Int, in namespace: String) async throws {
        let script = """
            ip link set lo up
            nft list table inet ctwstats >/dev/null 2>&1 || {
              nft add table inet ctwstats &&
              nft add chain inet ctwstats out '{ type filter hook output priority 0; }' &&
              nft add rule inet ctwstats out ct state invalid counter
            } || exit 1
            python3 -c '
            import socket, struct, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
            for i in range(int(sys.argv[1])):
                s.sendto(struct.pack("!HHIIBBHHH", 40000 + i, 9, 1, 0, 5 << 4, 0x06, 1024, 0, 0), ("127.0.0.1", 0))
            ' \(count)
            """
        let result = try await Subprocess.run("ip", ["netns", "exec", namespace, "sh", "-c", script], timeout: 60)
        #expect(result.status == 0, "\(result)")
    }

    static func conntrackS(in namespace: String) async throws -> [Int: [String: UInt64]] {
        let result = try await Subprocess.run("ip", ["netns", "exec", namespace, "conntrack", "-S"], timeout: 30)
        #expect(result.status == 0, "\(result)")
        return try ConntrackStatsText.parse(result.stdout)
    }

    static func conntrackC(in namespace: String) async throws -> String {
        let result = try await Subprocess.run("ip", ["netns", "exec", namespace, "conntrack", "-C"], timeout: 30)
        #expect(result.status == 0, "\(result)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `statistics()` equals `conntrack -S` field for field on every CPU, and its entries `conntrack -C`.
    static func expectSameAsConntrack(_ statistics: TableStatistics, in namespace: String) async throws {
        let printed = try await conntrackS(in: namespace)
        #expect(statistics.perCPU.map(\.cpu) == printed.keys.sorted())
        for cpu in statistics.perCPU {
            let line = try #require(printed[cpu.cpu])
            for counter in StatisticsCounter.allCases {
                #expect(cpu.counts[counter] == line[counter.name], "cpu \(cpu.cpu) \(counter)")
            }
        }
        #expect(String(statistics.entries) == (try await conntrackC(in: namespace)))
    }

    @Test("statistics() reads what conntrack -S and -C read, counter for counter, with nonzero insert and invalid")
    func sameAsConntrack() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let conntrack = try Conntrack(namespace: .named(name))
            let fresh = try conntrack.statistics()
            #expect(fresh.entries == 0 && fresh.total == .zero, "a new namespace starts from zero: \(fresh)")
            #expect(fresh.perCPU.count == ProcessInfo.processInfo.activeProcessorCount)
            try await Self.expectSameAsConntrack(fresh, in: name)

            try await Self.insert(12, in: name)
            try await Self.sendInvalid(5, in: name)
            let before = try conntrack.statistics()
            try await Self.expectSameAsConntrack(before, in: name)
            let after = try conntrack.statistics()
            #expect(after == before, "the idle namespace's counters stood still around conntrack's read")
            #expect(before.entries == 12)
            #expect(before.total.insert == 12)
            #expect(before.total.invalid == 10)
            for counter in [StatisticsCounter.insertFailed, .drop, .earlyDrop, .clashResolve, .chainTooLong] {
                #expect(before.total[counter] == 0, "\(counter)")
            }
            let limit = try String(contentsOfFile: "/proc/sys/net/netfilter/nf_conntrack_max", encoding: .utf8)
            #expect(before.maxEntries.map(String.init) == limit.trimmingCharacters(in: .whitespacesAndNewlines))

            let delta = after.delta(since: fresh)
            #expect(delta.total.insert == 12 && delta.total.invalid == 10 && delta.entries == 12)
        }
    }

    @Test("entries and counters are the namespace's own: another namespace reads none of them")
    func perNamespace() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { busy in
            try await Self.insert(7, in: busy)
            try await ScratchNamespace.with { quiet in
                let statistics = try Conntrack(namespace: .named(quiet)).statistics()
                #expect(statistics.entries == 0 && statistics.total == .zero, "\(statistics)")
            }
            let statistics = try Conntrack(namespace: .named(busy)).statistics()
            #expect(statistics.entries == 7 && statistics.total.insert == 7)
        }
    }

    @Test("ctwatch stats --count 2: text with one row per CPU and a total, the first sample as conntrack -S")
    func text() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            try await Self.insert(3, in: name)
            let printed = try await Self.conntrackS(in: name)
            let result = try await CTWatchBinary.run(
                ["stats", "--netns", name, "--count", "2", "--interval", "0.2"], timeout: 60)
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.isEmpty, "\(result)")
            let cpus = printed.count
            let lines = result.stdoutLines
            // Two samples: heading, header, one row per CPU, total, blank.
            #expect(lines.count == 2 * (cpus + 4), "\(result.stdout)")
            guard lines.count == 2 * (cpus + 4) else { return }
            #expect(lines[0].hasSuffix("entries 3 of \(try Self.limit()) (0.0%)  counts since the counters started"))
            #expect(lines[1].split(separator: " ").prefix(3) == ["CPU", "INSERT_FAILED", "CLASH_RESOLVE"])
            let header = lines[1].split(separator: " ").map { $0.lowercased() }
            for (offset, cpu) in printed.keys.sorted().enumerated() {
                let cells = lines[2 + offset].split(separator: " ")
                #expect(cells.first.map(String.init) == String(cpu))
                for (column, name) in header.enumerated().dropFirst() {
                    #expect(UInt64(cells[column]) == printed[cpu]?[name], "cpu \(cpu) \(name)")
                }
            }
            let total = lines[2 + cpus].split(separator: " ")
            #expect(total.first == "total" && total[header.firstIndex(of: "insert")!] == "3")
            let second = Array(lines[(cpus + 4)...])
            #expect(second[0].contains("entries 3 of") && second[0].contains("+0  change in "), "\(second[0])")
            #expect(second[2 + cpus].split(separator: " ").dropFirst().allSatisfy { $0 == "0" }, "idle: no change")
        }
    }

    static func limit() throws -> String {
        try String(contentsOfFile: "/proc/sys/net/netfilter/nf_conntrack_max", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("ctwatch stats --json --count 2: schema-valid lines, totals as conntrack -S sums them")
    func json() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            try await Self.insert(4, in: name)
            try await Self.sendInvalid(1, in: name)
            let printed = try await Self.conntrackS(in: name)
            let result = try await CTWatchBinary.run(
                ["stats", "--netns", name, "--json", "--count", "2", "--interval", "0.2"], timeout: 60)
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
            #expect(JSONLineSchema.statisticsOutputProblems(stdout: result.stdoutBytes, cpus: printed.count) == [])
            let values = JSONLineSchema.checkOutput(result.stdoutBytes).values
            #expect(values.count == 2 * (printed.count + 1))
            let first = try #require(values.dropFirst(printed.count).first)
            for name in JSONLineSchema.statisticsCounterNames {
                let sum = printed.values.reduce(0) { $0 + ($1[name] ?? 0) }
                #expect(first[path: "ctwatch", "stats", "counters", name]?.unsignedValue == sum, "\(name)")
            }
            #expect(first[path: "ctwatch", "stats", "entries"]?.unsignedValue == 4)
            #expect(first[path: "ctwatch", "stats", "entries_limit"]?.unsignedValue == UInt64(try Self.limit()))
            let last = try #require(values.last)
            #expect((last[path: "event", "duration"]?.unsignedValue ?? 0) > 0)
            #expect(last[path: "ctwatch", "stats", "change", "insert"]?.unsignedValue == 0)
        }
    }

    @Test("ctwatch stats follows changes sample by sample, and SIGTERM ends it at once with whole lines, status 0")
    func changesAndShutdown() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let cpus = try Conntrack(namespace: .named(name)).statistics().perCPU.count
            let stats = try CTWatchBinary.start(["stats", "--netns", name, "--json", "--interval", "0.2"])
            let firstSample = await stats.waitForStdout(timeout: 30) { $0.count >= cpus + 1 }
            #expect(firstSample, "\(stats.stderrSoFar)")
            try await Self.insert(5, in: name)
            try await Self.sendInvalid(2, in: name)
            func totals(_ lines: [String]) -> [JSONValue] {
                JSONLineSchema.checkOutput(Array(lines.map { $0 + "\n" }.joined().utf8)).values.filter {
                    $0[path: "ctwatch", "stats", "scope"]?.stringValue == "total"
                }
            }
            func changed(_ name: String, _ totals: [JSONValue]) -> UInt64 {
                totals.reduce(0) { $0 + ($1[path: "ctwatch", "stats", "change", name]?.unsignedValue ?? 0) }
            }
            let seen = await stats.waitForStdout(timeout: 60) { lines in
                let totals = totals(lines)
                return changed("insert", totals) == 5 && changed("invalid", totals) == 4
                    && totals.last?[path: "ctwatch", "stats", "entries"]?.unsignedValue == 5
            }
            #expect(seen, "the changes reached the output: \(stats.stdoutSoFar.suffix(2000))")
            stats.signal(SIGTERM)
            let result = await stats.wait(timeout: 10)
            #expect(!result.timedOut, "still running 10 s after SIGTERM")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            #expect(result.stdoutBytes.last == 0x0a, "ends with a whole line")
            #expect(JSONLineSchema.statisticsOutputProblems(stdout: result.stdoutBytes, cpus: cpus) == [])
            let all = totals(result.stdoutLines)
            #expect(changed("insert", all) == 5 && changed("invalid", all) == 4, "each change counted once")
            #expect(all.dropFirst().allSatisfy { $0[path: "ctwatch", "stats", "went_down"] == nil })
        }
    }
}
