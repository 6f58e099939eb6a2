import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// FlowFixtures reads the recorded transcripts in Fixtures/flows (see its README.md).
enum FlowFixtures {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(
            Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures/flows"),
            "fixture flows/\(name) is missing from the test bundle")
    }

    /// The lines of a transcript, without their `\n`.
    static func lines(_ name: String) throws -> [String] {
        let text = try String(contentsOf: url(name), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// The JSON line ctwatch printed for `record` when it was recorded (with its `\n`).
    static func ctwatchLine(_ record: RecordedFlow) throws -> String {
        let lines = try lines(record.ctwatchFixture)
        try #require(record.ctwatchLine >= 1 && record.ctwatchLine <= lines.count)
        return lines[record.ctwatchLine - 1] + "\n"
    }

    /// Parses `2026-11-27T00:30:38.759096013Z` back to a WallTime (UTC).
    static func wallTime(rfc3339 text: String) throws -> WallTime {
        let nanoseconds = try #require(
            JSONLineSchema.nanoseconds(utcText: text), "not a 9-digit RFC 3339 time: \(text)")
        return WallTime(nanoseconds: nanoseconds)
    }
}

@Suite("Recorded flow fixtures")
struct RecordedFlowFixtureTests {
    @Test("Every recorded conntrack line is in its transcript, verbatim", arguments: RecordedFlows.all)
    func conntrackLineInTranscript(record: RecordedFlow) throws {
        let lines = try FlowFixtures.lines(record.conntrackFixture)
        if record.event == nil {
            #expect(lines.contains(record.conntrackLine))
        } else {
            // conntrack -E -o timestamp starts its lines with "[seconds.micros]\t", and pads the tag.
            let bodies = lines.map { line in
                (line.firstIndex(of: "\t").map { String(line[line.index(after: $0)...]) } ?? line)
                    .trimmingCharacters(in: .whitespaces)
            }
            #expect(bodies.contains(record.conntrackLine))
        }
    }

    @Test("The catalogue covers what the formatters must handle")
    func coverage() {
        let all = RecordedFlows.all
        #expect(
            all.contains {
                $0.flow.tcpState == .synSent && $0.flow.isUnreplied && $0.flow.isDestinationNATed && $0.event == nil
            })
        #expect(all.contains { $0.flow.tcpState == .established })
        #expect(all.contains { $0.flow.tcpState == .timeWait && $0.flow.isDestinationNATed })
        #expect(all.contains { $0.flow.transport == .udp && $0.flow.family == .ipv4 })
        #expect(all.contains { $0.flow.transport == .udp && $0.flow.family == .ipv6 })
        #expect(all.contains { $0.flow.transport == .tcp && $0.flow.family == .ipv6 })
        #expect(all.contains { $0.flow.transport == .icmp })
        #expect(all.contains { $0.flow.transport == .icmpv6 })
        #expect(all.contains { $0.flow.isSourceNATed })
        for kind in EventKind.allCases { #expect(all.contains { $0.event == kind }) }
        #expect(all.contains { $0.event == .destroy && $0.flow.timeout == nil })
    }
}
