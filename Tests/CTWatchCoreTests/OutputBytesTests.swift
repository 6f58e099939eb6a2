import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// The exact bytes of every line kind the formatters write, for every recorded
/// flow, against `Fixtures/output-lines.txt`: a change made for speed must not
/// change one byte of output. The file was written by the formatters before the
/// JSON writer was reworked for speed; after a deliberate change of the output,
/// write it again with `CTWATCH_WRITE_OUTPUT_LINES=1 swift test --filter OutputBytesTests`
/// and review its diff.
@Suite("Output bytes of recorded flows")
struct OutputBytesTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/output-lines.txt")

    /// Event JSON and text, list JSON and text, for each recorded flow, at a
    /// receive time of its own (distinct fractions, to exercise the digits).
    static func render() -> [UInt8] {
        var out = ByteBuffer()
        var writer = LineWriter(buffer: out)
        for (index, record) in RecordedFlows.all.enumerated() {
            let time = WallTime(nanoseconds: 1_764_633_600_000_000_000 + UInt64(index) * 1_001_001_007)
            for kind in [EventKind.new, .update, .destroy] where record.event == nil || record.event == kind {
                let event = ConntrackEvent(kind: kind, flow: record.flow, received: time)
                writer.eventJSON(event)
                writer.eventText(event)
            }
            writer.listJSON(record.flow, time: time)
            writer.listText(record.flow)
        }
        out = writer.buffer
        return out.bytes
    }

    @Test("event and list lines, JSON and text, are byte for byte what they were")
    func sameBytes() throws {
        let rendered = Self.render()
        if ProcessInfo.processInfo.environment["CTWATCH_WRITE_OUTPUT_LINES"] == "1" {
            try Data(rendered).write(to: Self.fixture)
        }
        let recorded = try [UInt8](Data(contentsOf: Self.fixture))
        let renderedLines = rendered.split(separator: 0x0A, omittingEmptySubsequences: false)
        let recordedLines = recorded.split(separator: 0x0A, omittingEmptySubsequences: false)
        #expect(renderedLines.count == recordedLines.count)
        for (number, (now, then)) in zip(renderedLines, recordedLines).enumerated() where now != then {
            Issue.record(
                """
                line \(number + 1) differs:
                now:  \(String(decoding: now, as: UTF8.self))
                was:  \(String(decoding: then, as: UTF8.self))
                """)
            break
        }
    }
}
