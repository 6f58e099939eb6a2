import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// The JSON lines of `ctwatch list` and `ctwatch events` for recorded flows,
/// checked field by field against /work/shared/notes/json-schema.md.
@Suite("Flow JSON lines")
struct FlowJSONTests {
    static func listLine(_ flow: Flow, time: WallTime) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        Listing.appendJSON(flow, time: time, into: &json)
        return json.bytes
    }

    static func eventLine(_ event: ConntrackEvent) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        EventFormatter.appendJSON(event, into: &json)
        return json.bytes
    }

    /// Every member of `recorded` (recursively) is in `actual` with the same value;
    /// `actual` may have more. The line ctwatch printed when the flow was recorded
    /// must still be what it prints for the same flow.
    static func missingOrChanged(recorded: JSONValue, actual: JSONValue, path: String = "") -> [String] {
        switch (recorded, actual) {
        case (.object(let r), .object):
            return r.flatMap { member in
                let childPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                guard let other = actual[member.key] else { return ["\(childPath) is gone (was \(member.value))"] }
                return missingOrChanged(recorded: member.value, actual: other, path: childPath)
            }
        default:
            return recorded == actual ? [] : ["\(path) was \(recorded), now \(actual)"]
        }
    }

    @Test("A list line carries every schema field with the right value and type", arguments: RecordedFlows.listed)
    func listLineSchema(record: RecordedFlow) throws {
        let recorded = try FlowFixtures.ctwatchLine(record)
        let recordedValue = try StrictJSON.parse(recorded)
        let time = try FlowFixtures.wallTime(rfc3339: #require(recordedValue["@timestamp"]?.stringValue))
        let line = Self.listLine(record.flow, time: time)
        let problems = JSONLineSchema.listLineProblems(line, flow: record.flow)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n\(String(decoding: line, as: UTF8.self))")
        let value = try StrictJSON.parse(line)
        #expect(value["@timestamp"]?.stringValue == recordedValue["@timestamp"]?.stringValue)
        let changes = Self.missingOrChanged(recorded: recordedValue, actual: value)
        #expect(changes.isEmpty, "differs from what ctwatch printed at recording time: \(changes)")
    }

    @Test("An event line carries every schema field with the right value and type", arguments: RecordedFlows.events)
    func eventLineSchema(record: RecordedFlow) throws {
        let kind = try #require(record.event)
        let recorded = try FlowFixtures.ctwatchLine(record)
        let recordedValue = try StrictJSON.parse(recorded)
        let received = try FlowFixtures.wallTime(rfc3339: #require(recordedValue["@timestamp"]?.stringValue))
        let line = Self.eventLine(ConntrackEvent(kind: kind, flow: record.flow, received: received))
        let problems = JSONLineSchema.eventLineProblems(line, kind: kind, flow: record.flow)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n\(String(decoding: line, as: UTF8.self))")
        let changes = Self.missingOrChanged(recorded: recordedValue, actual: try StrictJSON.parse(line))
        #expect(changes.isEmpty, "differs from what ctwatch printed at recording time: \(changes)")
        // A line that rebuilds into the same flow says nothing it should not.
        let rebuilt = try #require(JSONLineSchema.decodeFlow(StrictJSON.parse(line)))
        // The JSON names the original tuple's ICMP part only (the reply's is in the text).
        var expected = record.flow
        expected.replyICMP = nil
        #expect(rebuilt == expected)
    }

    @Test("The seed's stuck flow as a list line, field by field")
    func seedListLine() throws {
        let flow = RecordedFlows.named("list, bridge-nf off", "ipv4", "SYN_SENT").flow
        let time = WallTime(nanoseconds: 1_795_739_458_434_490_485)
        let line = Self.listLine(flow, time: time)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["@timestamp"] as? String == "2026-11-27T00:30:58.434490485Z")
        #expect((object["log"] as? [String: Any])?["level"] as? String == "info")
        #expect(
            object["message"] as? String
                == "tcp 10.224.1.34:49920 -> 10.233.53.172:8080 => 10.224.1.56:8080 SYN_SENT [UNREPLIED]")
        #expect((object["ecs"] as? [String: Any])?["version"] as? String == "8.11.0")
        let destination = try #require(object["destination"] as? [String: Any])
        #expect(destination["ip"] as? String == "10.233.53.172")
        #expect((destination["nat"] as? [String: Any])?["ip"] as? String == "10.224.1.56")
        let network = try #require(object["network"] as? [String: Any])
        #expect(network["iana_number"] as? String == "6")
        #expect(network["transport"] as? String == "tcp")
        #expect(network["type"] as? String == "ipv4")
        let conntrack = try #require((object["ctwatch"] as? [String: Any])?["conntrack"] as? [String: Any])
        #expect(conntrack["state"] as? String == "SYN_SENT")
        #expect(conntrack["status"] as? [String] == ["CONFIRMED", "DST_NAT", "SRC_NAT_DONE", "DST_NAT_DONE"])
        #expect((conntrack["id"] as? NSNumber)?.uint32Value == 2_328_799_569)
        // The exact bytes of the booleans and numbers: JSONSerialization would accept 0/1 for false/true.
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains(#""seen_reply":false"#))
        #expect(text.contains(#""timeout":115"#))
        #expect(text.contains(#""iana_number":"6""#))
    }

    /// The expectation comes from the tuples conntrack printed for the entry,
    /// not from the Flow predicates the formatter itself calls.
    @Test(
        "destination.nat and source.nat are present exactly when conntrack's tuples show NAT",
        arguments: RecordedFlows.all)
    func natPresence(record: RecordedFlow) throws {
        let entry = try #require(ConntrackLine(record.conntrackLine))
        let destinationNATed =
            entry.original.destination != entry.reply.source
            || entry.original.destinationPort != entry.reply.sourcePort
        let sourceNATed =
            entry.original.source != entry.reply.destination
            || entry.original.sourcePort != entry.reply.destinationPort
        let value = try StrictJSON.parse(Self.listLine(record.flow, time: WallTime(nanoseconds: 0)))
        #expect((value[path: "destination", "nat"] != nil) == destinationNATed)
        #expect((value[path: "source", "nat"] != nil) == sourceNATed)
        if destinationNATed {
            #expect(value[path: "destination", "nat", "ip"] == .string(entry.reply.source))
        }
        if sourceNATed {
            #expect(value[path: "source", "nat", "ip"] == .string(entry.reply.destination))
        }
    }

    @Test("related.ip lists each address once, in tuple order")
    func relatedOrder() throws {
        let hairpin = RecordedFlows.named("list", "tcp ipv4 TIME_WAIT DNAT SNAT").flow
        let value = try StrictJSON.parse(Self.listLine(hairpin, time: WallTime(nanoseconds: 0)))
        #expect(
            value[path: "related", "ip"]
                == .array([.string("10.224.1.56"), .string("10.233.53.172"), .string("10.224.1.1")]))
    }

    @Test("Every line is well under 8 KiB, even with the longest IPv6 addresses and attribution")
    func lineSize() throws {
        var flow = RecordedFlows.named("list, bridge-nf off", "ipv6", "SYN_SENT").flow
        let longest = try #require(IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"))
        flow.original.source = longest
        flow.reply.destination = longest
        flow.counters = Counters(originalPackets: .max, originalBytes: .max, replyPackets: .max, replyBytes: .max)
        flow.mark = .max
        flow.zone = .max
        flow.startNanoseconds = 1_795_739_905_967_644_589
        flow.stopNanoseconds = 1_795_739_912_588_549_431
        let name = String(repeating: "n", count: 253)
        let attribution = Attribution(
            sourcePod: KubeObjectRef(namespace: String(repeating: "s", count: 63), name: name),
            backendPod: KubeObjectRef(namespace: String(repeating: "b", count: 63), name: name),
            service: KubeObjectRef(
                namespace: String(repeating: "w", count: 63), name: String(repeating: "v", count: 63)))
        var json = JSONWriter(capacity: 1024)
        json.beginObject()
        FlowFormatter.writeHeader(&json, timestamp: WallTime(nanoseconds: .max), level: "warn") { $0.append(utf8: "m") }
        json.beginObject("event")
        json.field("kind", "alert" as StaticString)
        json.field("action", "dnat-unreplied" as StaticString)
        json.field("dataset", "ctwatch.stuck" as StaticString)
        json.endObject()
        FlowFormatter.writeFlow(flow, attribution: attribution, into: &json)
        json.endObject()
        json.newline()
        let (_, problems) = JSONLineSchema.checkLine(json.bytes)
        #expect(problems.isEmpty, "\(problems)")
        #expect(json.bytes.count < 4096)
    }
}

@Suite("events-lost JSON line")
struct EventsLostTests {
    static func line(overruns: Int, resync: Bool, dataset: StaticString = "ctwatch.events") -> [UInt8] {
        let loss = EventLoss(
            overruns: overruns, receiveBufferSize: 134_217_728,
            detected: WallTime(nanoseconds: 1_795_739_438_374_619_080))
        var json = JSONWriter(capacity: 512)
        EventFormatter.appendLossJSON(loss, dataset: dataset, resync: resync, into: &json)
        return json.bytes
    }

    @Test(
        "The loss record: pipeline_error, events-lost, level error, the running count",
        arguments: [(1, false), (3, true)])
    func lossLine(overruns: Int, resync: Bool) throws {
        let line = Self.line(overruns: overruns, resync: resync)
        let (parsed, problems) = JSONLineSchema.checkLine(line)
        #expect(problems.isEmpty, "\(problems)")
        let value = try #require(parsed)
        #expect(value["@timestamp"]?.stringValue == "2026-11-27T00:30:38.374619080Z")
        #expect(value[path: "log", "level"] == .string("error"))
        #expect(value[path: "event", "kind"] == .string("pipeline_error"))
        #expect(value[path: "event", "action"] == .string("events-lost"))
        #expect(value[path: "event", "dataset"] == .string("ctwatch.events"))
        #expect(value[path: "ctwatch", "lost", "overruns"] == .number(String(overruns)))
        #expect(value[path: "ctwatch", "lost", "resync"] == .bool(resync))
        let message = try #require(value["message"]?.stringValue)
        #expect(message.contains("events lost"))
        #expect(message.contains("\(overruns) overrun"))
        // No flow fields on a loss record.
        #expect(value["source"] == nil && value["destination"] == nil && value["network"] == nil)
    }

    @Test("The dataset follows the command (stuck --watch reports loss too)")
    func dataset() throws {
        let value = try StrictJSON.parse(Self.line(overruns: 1, resync: true, dataset: "ctwatch.stuck"))
        #expect(value[path: "event", "dataset"] == .string("ctwatch.stuck"))
    }

    @Test("The text warning says events were lost, how often, and the buffer size")
    func warning() {
        let one = EventLoss(overruns: 1, receiveBufferSize: 67_108_864, detected: WallTime(nanoseconds: 0))
        #expect(
            EventFormatter.lossWarning(one)
                == "events lost: the kernel receive buffer overran (1 overrun so far); receive buffer now 67108864 bytes"
        )
        let two = EventLoss(overruns: 2, receiveBufferSize: 134_217_728, detected: WallTime(nanoseconds: 0))
        #expect(EventFormatter.lossWarning(two).contains("(2 overruns so far)"))
        #expect(!EventFormatter.lossWarning(two).contains("\n"))
    }
}
