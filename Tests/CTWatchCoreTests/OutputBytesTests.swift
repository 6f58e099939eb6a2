import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// The exact bytes of every line kind the formatters write, for every recorded
/// flow, against `Fixtures/output-lines.txt` and `Fixtures/stuck-lines.txt`: a
/// change made for speed must not change one byte of output. The files were
/// written by the formatters before they were reworked for speed (the JSON
/// writer; stuck's diagnosis memo and shared address texts); after a deliberate change of the output,
/// write it again with `CTWATCH_WRITE_OUTPUT_LINES=1 swift test --filter OutputBytesTests`
/// and review its diff.
@Suite("Output bytes of recorded flows")
struct OutputBytesTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/output-lines.txt")
    static let stuckFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/stuck-lines.txt")

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

    /// Stuck alerts (JSON), watch lines and the table with its cause lines,
    /// for each recorded flow in turn as unreplied, stale, cleared, seen on a
    /// NodePort, named or not, with each kind of diagnosis and an age of each
    /// form. Runs of findings share their time, as a dump's batch does.
    static func renderStuck() -> [UInt8] {
        let second: UInt64 = 1_000_000_000
        var out = ByteBuffer()
        var writer = LineWriter(buffer: out)
        let named = Attribution(
            sourcePod: KubeObjectRef(namespace: "shop", name: "frontend-7c9d8b5f4-x2x7p"),
            backendPod: KubeObjectRef(namespace: "shop", name: "cart-5d6f7b8c9-k4m2n"),
            service: KubeObjectRef(namespace: "shop", name: "cart"))
        let ages: [UInt64] = [0, 4 * second, 184 * second, 3720 * second]
        let states: [BridgeNetfilterState] = [[.ipv4: false, .ipv6: false], [.ipv4: true, .ipv6: true], [:]]
        var findings: [StuckFinding] = []
        var text: [String] = []
        // One memo across the findings, as a scan keeps it.
        var memo = DiagnosisMemo()
        for (index, record) in RecordedFlows.all.enumerated() {
            var flow = record.flow
            if index % 5 == 1 { flow.timeout = 574 }
            let time = WallTime(nanoseconds: 1_764_633_600_000_000_000 + UInt64(index / 3) * 1_001_001_007)
            let since = WallTime(nanoseconds: time.nanoseconds - ages[index % 4])
            // No switch seen; seen after the flow began (a left-over); seen before it.
            let turnedOn: [TimeWindow?] = [
                nil, TimeWindow(after: time, before: time),
                TimeWindow(
                    after: WallTime(nanoseconds: since.nanoseconds - second),
                    before: WallTime(nanoseconds: since.nanoseconds - second / 2)),
            ]
            let diagnosis: Diagnosis =
                switch index % 6 {
                case 4: .hairpin
                case 5:
                    .staleEndpoint(
                        flow: flow, service: KubeObjectRef(namespace: "shop", name: "cart"),
                        endpoints: [flow.reply.destination], stale: index % 4 == 0)
                default:
                    StuckRules.diagnose(
                        flow, bridgeNetfilter: states[index % 3], namespace: .named("node"),
                        backendAnswers: index % 4 == 1, since: since, turnedOn: turnedOn[index / 3 % 3], memo: &memo)
                }
            let finding = StuckFinding(
                flow: flow, kind: index % 7 == 3 ? .staleBackend : .unreplied, since: since, age: ages[index % 4],
                ageFromKernel: index % 2 == 0, subnet: CIDR(address: flow.reply.source, prefixLength: 24),
                nodePort: index % 8 == 5, attribution: index % 3 == 0 ? Attribution() : named,
                diagnosis: diagnosis, cleared: index % 5 == 2 ? .replied : (index % 9 == 4 ? .gone : nil))
            writer.stuckJSON(finding, time: time)
            text.append(StuckReport.watchLine(finding, now: time))
            findings.append(finding)
        }
        out = writer.buffer
        var bytes = out.bytes
        for line in text + StuckReport.table(findings) {
            bytes += Array(line.utf8)
            bytes.append(0x0A)
        }
        return bytes
    }

    @Test("event and list lines, JSON and text, are byte for byte what they were")
    func sameBytes() throws {
        try Self.compare(Self.render(), with: Self.fixture)
    }

    @Test("stuck alerts, watch lines and the table are byte for byte what they were")
    func sameStuckBytes() throws {
        try Self.compare(Self.renderStuck(), with: Self.stuckFixture)
    }

    static func compare(_ rendered: [UInt8], with fixture: URL) throws {
        if ProcessInfo.processInfo.environment["CTWATCH_WRITE_OUTPUT_LINES"] == "1" {
            try Data(rendered).write(to: fixture)
        }
        let recorded = try [UInt8](Data(contentsOf: fixture))
        let renderedLines = rendered.split(separator: 0x0A, omittingEmptySubsequences: false)
        let recordedLines = recorded.split(separator: 0x0A, omittingEmptySubsequences: false)
        #expect(renderedLines.count == recordedLines.count)
        for (number, (now, then)) in zip(renderedLines, recordedLines).enumerated() where now != then {
            Issue.record(
                """
                line \(number + 1) of \(fixture.lastPathComponent) differs:
                now:  \(String(decoding: now, as: UTF8.self))
                was:  \(String(decoding: then, as: UTF8.self))
                """)
            break
        }
    }
}
