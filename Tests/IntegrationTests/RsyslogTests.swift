import Foundation
import TestSupport
import Testing

/// A real log shipper on ctwatch's JSON lines: rsyslog, with the configuration
/// the README shows (deploy/rsyslog/ctwatch.conf), tails a file that
/// `ctwatch events --json` appends to during a burst, parses every line with
/// mmjsonparse and writes each record back out as JSON.
@Suite("rsyslog ships ctwatch's JSON lines", .privileged, .tools("rsyslogd"), .serialized)
struct RsyslogTests {
    /// How many NEW events the burst makes, and ctwatch writes before it exits (`--count`).
    static let events = 5000
    /// The directory deploy/rsyslog/ctwatch.conf reads and writes in; the test gives it one of its own.
    static let configuredDirectory = "/var/log/ctwatch/"

    /// The configuration rsyslogd runs: its work directory (imfile's state files),
    /// then deploy/rsyslog/ctwatch.conf as it is, with its files moved to `directory`.
    static func configuration(in directory: String) throws -> String {
        let shipped = try String(
            contentsOf: RepositoryLayout.root.appendingPathComponent("deploy/rsyslog/ctwatch.conf"), encoding: .utf8)
        for file in ["events.json", "records.json", "unparsed.log"] {
            #expect(shipped.contains(configuredDirectory + file), "the configuration no longer names \(file)")
        }
        return "global(workDirectory=\"\(directory)\")\n"
            + shipped.replacingOccurrences(of: configuredDirectory, with: directory + "/")
    }

    /// The complete lines of `path` (a line still being written is left out); none when it does not exist.
    static func lines(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return lines.map(String.init)
    }

    /// How many complete lines `path` holds (0 when it does not exist): cheap enough to poll.
    static func lineCount(_ path: String) -> Int {
        FileManager.default.contents(atPath: path)?.withUnsafeBytes { bytes in
            bytes.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        } ?? 0
    }

    /// Whether two JSON values are the same: objects member for member in any order,
    /// arrays element for element, numbers as the same text, strings as the same text
    /// after unescaping (rsyslog writes `/` as `\/`).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            let keysX = x.map(\.key)
            guard Set(keysX).count == x.count, Set(keysX) == Set(y.map(\.key)), x.count == y.count else { return false }
            return x.allSatisfy { member in y.contains { $0.key == member.key && same($0.value, member.value) } }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default:
            return a == b
        }
    }

    @Test("every line of an events burst is parsed by mmjsonparse and written back field for field, none lost or added")
    func roundTrip() async throws {
        try Privilege.require()
        try Tools.require("rsyslogd")
        let ctload = try await OverrunTests.ctload()
        let ctwatch = try CTWatchBinary.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctwatch-rsyslog-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let eventsFile = directory + "/events.json"
        let recordsFile = directory + "/records.json"
        let unparsedFile = directory + "/unparsed.log"
        #expect(FileManager.default.createFile(atPath: eventsFile, contents: nil))
        try Self.configuration(in: directory).write(
            toFile: directory + "/rsyslog.conf", atomically: true, encoding: .utf8)

        try await Cleanup.after {
            // rsyslogd in the foreground, with nothing of the system's: its own
            // configuration, work directory and pid file.
            let rsyslog = try Subprocess.start(
                "rsyslogd", ["-n", "-f", directory + "/rsyslog.conf", "-i", directory + "/rsyslogd.pid"])
            try await Cleanup.after {
                try await ScratchNamespace.with { name in
                    // ctwatch appends to the file rsyslog tails, as `ctwatch events --json >>FILE` would.
                    let tail = try Subprocess.start(
                        "sh",
                        [
                            "-c", #"out=$1; shift; exec "$@" >>"$out""#, "sh", eventsFile, ctwatch, "events",
                            "--netns", name, "--json", "--types", "new", "--count", String(Self.events), "-v",
                        ])
                    try await Cleanup.after {
                        try #require(
                            await tail.waitForStderr(containing: "subscribed", timeout: 30), "\(tail.stderrSoFar)")
                        let insert = try await Subprocess.run(
                            "ip", ["netns", "exec", name, ctload, "insert", String(Self.events)], timeout: 120)
                        #expect(insert.status == 0, "\(insert)")
                        // --count ends ctwatch once it has written every event of the burst.
                        let written = await tail.wait(timeout: 120)
                        #expect(written.status == 0 && !written.timedOut, "\(written)")
                    } cleanup: {
                        tail.signal(SIGKILL)
                    }
                }
                let original = Self.lines(eventsFile)
                #expect(original.count == Self.events, "ctwatch wrote \(original.count) lines")
                #expect(
                    JSONLineSchema.eventOutputProblems(stdout: Array((original.joined(separator: "\n") + "\n").utf8))
                        .isEmpty)

                // rsyslog has shipped the file when it has written as many records as there are lines.
                let shipped = try await Poll.eventually(timeout: 120) {
                    !rsyslog.isRunning || Self.lineCount(recordsFile) + Self.lineCount(unparsedFile) >= original.count
                }
                #expect(shipped, "rsyslog wrote \(Self.lines(recordsFile).count) records of \(original.count)")
                let stopped = await rsyslog.stop(SIGTERM, timeout: 30)
                #expect(!stopped.timedOut, "\(stopped)")
                #expect(stopped.status == 0, "\(stopped)")

                let records = Self.lines(recordsFile)
                let unparsed = Self.lines(unparsedFile)
                #expect(unparsed.isEmpty, "lines mmjsonparse failed on: \(unparsed.prefix(3))")
                #expect(records.count == original.count, "\(records.count) records for \(original.count) lines")
                var mismatches: [String] = []
                for (index, (line, record)) in zip(original, records).enumerated() {
                    let sent = try StrictJSON.parse(line)
                    if (try? StrictJSON.parse(record)).map({ Self.same(sent, $0) }) != true {
                        mismatches.append("line \(index + 1):\n  ctwatch: \(line)\n  rsyslog: \(record)")
                    }
                }
                #expect(mismatches.isEmpty, "\(mismatches.count) records differ, first: \(mismatches.prefix(2))")
            } cleanup: {
                if rsyslog.isRunning { _ = await rsyslog.stop(SIGTERM, timeout: 30) }
            }
        } cleanup: {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
