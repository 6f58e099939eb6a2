import Conntrack
import Foundation

/// JSONLineSchema checks ctwatch JSON lines against
/// /work/shared/notes/json-schema.md (the ECS names, the types, and the
/// framing rules: one object, one `\n`, no `null`, no dotted keys, < 8 KiB).
///
/// Every check returns a list of problems, empty when the line is right, so
/// a test can print all of them at once.
public enum JSONLineSchema {
    /// The framing and the fields every line carries. `line` is the whole line, `\n` included.
    /// On success also returns the parsed value.
    public static func checkLine(_ line: [UInt8]) -> (JSONValue?, [String]) {
        var problems: [String] = []
        if line.last != 0x0a { problems.append("the line does not end with \\n") }
        if line.dropLast().contains(0x0a) { problems.append("the line holds a \\n before its end") }
        if line.contains(0x0d) { problems.append("the line holds a \\r") }
        if line.count >= 8192 { problems.append("the line is \(line.count) bytes, not under 8 KiB") }
        do {
            let object = try JSONSerialization.jsonObject(with: Data(line))
            if !(object is [String: Any]) { problems.append("JSONSerialization: not an object") }
        } catch {
            problems.append("JSONSerialization cannot parse it: \(error)")
        }
        let value: JSONValue
        do {
            value = try StrictJSON.parse(line)
        } catch {
            problems.append("\(error)")
            return (nil, problems)
        }
        guard case .object = value else { return (value, problems + ["not a JSON object"]) }
        value.walk { path, node in
            switch node {
            case .null: problems.append("\(path) is null (unknown values must be left out)")
            case .object(let members):
                var seen = Set<String>()
                for member in members {
                    if member.key.contains(".") {
                        problems.append("dotted key \"\(member.key)\" in \(path.isEmpty ? "the line" : path)")
                    }
                    if !seen.insert(member.key).inserted {
                        problems.append("duplicate key \"\(member.key)\" in \(path.isEmpty ? "the line" : path)")
                    }
                }
            default: break
            }
        }
        problems += headerProblems(value)
        return (value, problems)
    }

    /// `checkLine` for a String line.
    public static func checkLine(_ line: String) -> (JSONValue?, [String]) { checkLine(Array(line.utf8)) }

    /// `@timestamp`, `log.level`, `message`, `ecs.version`, `event.kind/action/dataset`.
    public static func headerProblems(_ value: JSONValue) -> [String] {
        var problems: [String] = []
        if let timestamp = value["@timestamp"]?.stringValue {
            if !isRFC3339Nanoseconds(timestamp) {
                problems.append("@timestamp \"\(timestamp)\" is not YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ")
            }
        } else {
            problems.append("@timestamp missing or not a string")
        }
        if let level = value[path: "log", "level"]?.stringValue {
            if !["debug", "info", "warn", "error"].contains(level) {
                problems.append("log.level \"\(level)\" is not debug/info/warn/error")
            }
        } else {
            problems.append("log.level missing or not a string (nested as {\"log\":{\"level\":…}})")
        }
        if let message = value["message"]?.stringValue {
            if message.isEmpty { problems.append("message is empty") }
            if message.contains("\n") { problems.append("message holds a newline") }
        } else {
            problems.append("message missing or not a string")
        }
        if value[path: "ecs", "version"]?.stringValue != "8.11.0" { problems.append("ecs.version is not \"8.11.0\"") }
        for key in ["kind", "action", "dataset"] where value[path: "event", key]?.stringValue?.isEmpty ?? true {
            problems.append("event.\(key) missing or not a non-empty string")
        }
        return problems
    }

    /// `2026-11-26T23:44:50.123456789Z`: UTC, `Z`, 9-digit fraction, plausible fields.
    public static func isRFC3339Nanoseconds(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 30 else { return false }
        func digits(_ range: Range<Int>) -> Int? {
            var v = 0
            for i in range {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "."),
            b[29] == UInt8(ascii: "Z"),
            digits(0..<4) != nil, let month = digits(5..<7), let day = digits(8..<10),
            let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19),
            digits(20..<29) != nil
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day) && hour < 24 && minute < 60 && second < 61
    }

    /// `2026-11-27T00:38:25.967644589Z` from nanoseconds since the epoch, by gmtime_r
    /// (independent of ctwatch's own RFC3339 formatter).
    public static func utcText(nanoseconds: UInt64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - fraction.count) + fraction + "Z"
    }

    /// `event.*` of a `ctwatch events` line for `kind`.
    public static func eventProblems(_ value: JSONValue, kind: EventKind) -> [String] {
        let (action, type): (String, String) =
            switch kind {
            case .new: ("conntrack-new", "start")
            case .update: ("conntrack-update", "info")
            case .destroy: ("conntrack-destroy", "end")
            }
        var problems: [String] = []
        expect(value, ["event", "kind"], .string("event"), &problems)
        expect(value, ["event", "action"], .string(action), &problems)
        expect(value, ["event", "dataset"], .string("ctwatch.events"), &problems)
        expect(value, ["event", "category"], .array([.string("network")]), &problems)
        expect(value, ["event", "type"], .array([.string("connection"), .string(type)]), &problems)
        expect(value, ["log", "level"], .string("info"), &problems)
        return problems
    }

    /// `event.*` of a `ctwatch list` line.
    public static func listProblems(_ value: JSONValue) -> [String] {
        var problems: [String] = []
        expect(value, ["event", "kind"], .string("state"), &problems)
        expect(value, ["event", "action"], .string("conntrack-entry"), &problems)
        expect(value, ["event", "dataset"], .string("ctwatch.list"), &problems)
        expect(value, ["event", "category"], .array([.string("network")]), &problems)
        expect(value, ["event", "type"], .array([.string("connection")]), &problems)
        expect(value, ["log", "level"], .string("info"), &problems)
        return problems
    }

    /// The flow fields of the schema, checked value by value against `flow`.
    public static func flowProblems(_ value: JSONValue, flow: Flow) -> [String] {
        var problems: [String] = []
        let ported = portedProtocols.contains(flow.transport.rawValue)
        func endpoint(_ path: [String], _ ip: IPAddress, _ port: UInt16) {
            expect(value, path + ["ip"], .string(ip.description), &problems)
            expect(value, path + ["port"], ported ? .number(String(port)) : nil, &problems)
        }
        endpoint(["source"], flow.original.source, flow.original.sourcePort)
        endpoint(["destination"], flow.original.destination, flow.original.destinationPort)
        // ECS: source.* counts what the source sent (original direction), destination.* the replies.
        expect(value, ["source", "packets"], flow.counters.map { .number(String($0.originalPackets)) }, &problems)
        expect(value, ["source", "bytes"], flow.counters.map { .number(String($0.originalBytes)) }, &problems)
        expect(value, ["destination", "packets"], flow.counters.map { .number(String($0.replyPackets)) }, &problems)
        expect(value, ["destination", "bytes"], flow.counters.map { .number(String($0.replyBytes)) }, &problems)
        // The kernel's timestamps (nf_conntrack_timestamp=1): event.start, and on DESTROY event.end and event.duration.
        expect(value, ["event", "start"], flow.startNanoseconds.map { .string(utcText(nanoseconds: $0)) }, &problems)
        let stop = flow.startNanoseconds.flatMap { start in flow.stopNanoseconds.flatMap { $0 >= start ? $0 : nil } }
        expect(value, ["event", "end"], stop.map { .string(utcText(nanoseconds: $0)) }, &problems)
        expect(value, ["event", "duration"], stop.map { .number(String($0 - flow.startNanoseconds!)) }, &problems)
        // NAT presence from the tuples themselves, not from the Flow predicates the formatter calls.
        let destinationNATed =
            flow.original.destination != flow.reply.source
            || (ported && flow.original.destinationPort != flow.reply.sourcePort)
        let sourceNATed =
            flow.original.source != flow.reply.destination
            || (ported && flow.original.sourcePort != flow.reply.destinationPort)
        if destinationNATed {
            endpoint(["destination", "nat"], flow.reply.source, flow.reply.sourcePort)
        } else {
            expect(value, ["destination", "nat"], nil, &problems)
        }
        if sourceNATed {
            endpoint(["source", "nat"], flow.reply.destination, flow.reply.destinationPort)
        } else {
            expect(value, ["source", "nat"], nil, &problems)
        }
        problems += transportProblems(value, number: flow.transport.rawValue)
        expect(value, ["network", "type"], .string(flow.family == .ipv4 ? "ipv4" : "ipv6"), &problems)
        let (sport, dport) =
            flow.icmp.map { (UInt16($0.type), UInt16($0.code)) }
            ?? (flow.original.sourcePort, flow.original.destinationPort)
        problems += communityIDProblems(
            value, transport: flow.transport.rawValue, source: flow.original.source.description,
            destination: flow.original.destination.description, sourcePort: sport, destinationPort: dport)
        let addresses = [flow.original.source, flow.original.destination, flow.reply.source, flow.reply.destination]
        problems += relatedProblems(value, addresses: addresses.map(\.description))
        let ct = ["ctwatch", "conntrack"]
        expect(value, ct + ["id"], flow.id.map { .number(String($0)) }, &problems)
        expect(value, ct + ["state"], flow.tcpState.map { .string($0.description) }, &problems)
        if flow.transport != .tcp && value[path: "ctwatch", "conntrack", "state"] != nil {
            problems.append("ctwatch.conntrack.state present on a \(flow.transport) flow")
        }
        expect(value, ct + ["status"], .array(flow.status.flagNames.map { .string($0) }), &problems)
        expect(value, ct + ["seen_reply"], .bool(!flow.isUnreplied), &problems)
        expect(value, ct + ["timeout"], flow.timeout.map { .number(String($0)) }, &problems)
        expect(value, ct + ["mark"], flow.mark == 0 ? nil : .number(String(flow.mark)), &problems)
        expect(value, ct + ["zone"], flow.zone == 0 ? nil : .number(String(flow.zone)), &problems)
        endpoint(ct + ["reply", "source"], flow.reply.source, flow.reply.sourcePort)
        endpoint(ct + ["reply", "destination"], flow.reply.destination, flow.reply.destinationPort)
        if let icmp = flow.icmp {
            expect(value, ct + ["icmp", "type"], .number(String(icmp.type)), &problems)
            expect(value, ct + ["icmp", "code"], .number(String(icmp.code)), &problems)
            expect(value, ct + ["icmp", "id"], .number(String(icmp.id)), &problems)
        }
        return problems
    }

    /// Checks that `value` at `path` is `expected`; nil means "absent".
    static func expect(_ value: JSONValue, _ path: [String], _ expected: JSONValue?, _ problems: inout [String]) {
        var current: JSONValue? = value
        for key in path { current = current?[key] }
        let name = path.joined(separator: ".")
        switch (current, expected) {
        case (nil, nil): break
        case (nil, let e?): problems.append("\(name) missing (expected \(e.kind) \(e))")
        case (let c?, nil): problems.append("\(name) present (\(c)) but should be absent")
        case (let c?, let e?) where c != e: problems.append("\(name) is \(c.kind) \(c), expected \(e.kind) \(e)")
        default: break
        }
    }

    /// Every problem of a `ctwatch events` line about `flow`.
    public static func eventLineProblems(_ line: [UInt8], kind: EventKind, flow: Flow) -> [String] {
        let (value, problems) = checkLine(line)
        guard let value else { return problems }
        return problems + eventProblems(value, kind: kind) + flowProblems(value, flow: flow)
    }

    /// Every problem of a `ctwatch list` line about `flow`.
    public static func listLineProblems(_ line: [UInt8], flow: Flow) -> [String] {
        let (value, problems) = checkLine(line)
        guard let value else { return problems }
        return problems + listProblems(value) + flowProblems(value, flow: flow)
    }

    /// Parses `utcText`'s form back to nanoseconds since the epoch.
    public static func nanoseconds(utcText text: String) -> UInt64? {
        guard isRFC3339Nanoseconds(text) else { return nil }
        let b = Array(text.utf8)
        func number(_ r: Range<Int>) -> Int { Int(String(decoding: b[r], as: UTF8.self)) ?? 0 }
        var parts = tm()
        parts.tm_year = Int32(number(0..<4) - 1900)
        parts.tm_mon = Int32(number(5..<7) - 1)
        parts.tm_mday = Int32(number(8..<10))
        parts.tm_hour = Int32(number(11..<13))
        parts.tm_min = Int32(number(14..<16))
        parts.tm_sec = Int32(number(17..<19))
        return UInt64(timegm(&parts)) * 1_000_000_000 + UInt64(number(20..<29))
    }

    /// Rebuilds the Flow a line describes, from its own fields (nil when a required one is missing).
    /// It is the line's word, not the truth: never use it as a test's expectation.
    public static func decodeFlow(_ value: JSONValue) -> Flow? {
        func ip(_ keys: String...) -> IPAddress? {
            var current: JSONValue? = value
            for key in keys { current = current?[key] }
            return current?.stringValue.flatMap { IPAddress($0) }
        }
        func number(_ keys: String...) -> UInt64? {
            var current: JSONValue? = value
            for key in keys { current = current?[key] }
            return current?.unsignedValue
        }
        guard let protocolNumber = value[path: "network", "iana_number"]?.stringValue.flatMap({ UInt8($0) }),
            let type = value[path: "network", "type"]?.stringValue,
            let source = ip("source", "ip"), let destination = ip("destination", "ip"),
            let replySource = ip("ctwatch", "conntrack", "reply", "source", "ip"),
            let replyDestination = ip("ctwatch", "conntrack", "reply", "destination", "ip"),
            let statusNames = value[path: "ctwatch", "conntrack", "status"]?.arrayValue
        else { return nil }
        func port(_ keys: String...) -> UInt16 {
            var current: JSONValue? = value
            for key in keys { current = current?[key] }
            return UInt16(truncatingIfNeeded: current?.unsignedValue ?? 0)
        }
        var status: FlowStatus = []
        for name in statusNames {
            guard let flag = name.stringValue.flatMap({ FlowStatus(name: $0) }) else { return nil }
            status.insert(flag)
        }
        var flow = Flow(
            family: type == "ipv6" ? .ipv6 : .ipv4, transport: TransportProtocol(rawValue: protocolNumber),
            original: Tuple(
                source: source, destination: destination,
                sourcePort: port("source", "port"), destinationPort: port("destination", "port")),
            reply: Tuple(
                source: replySource, destination: replyDestination,
                sourcePort: port("ctwatch", "conntrack", "reply", "source", "port"),
                destinationPort: port("ctwatch", "conntrack", "reply", "destination", "port")),
            status: status)
        if let name = value[path: "ctwatch", "conntrack", "state"]?.stringValue {
            flow.tcpState = TCPState.allCases.first { $0.description == name }
        }
        flow.timeout = number("ctwatch", "conntrack", "timeout").map { UInt32(truncatingIfNeeded: $0) }
        flow.mark = UInt32(truncatingIfNeeded: number("ctwatch", "conntrack", "mark") ?? 0)
        flow.zone = UInt16(truncatingIfNeeded: number("ctwatch", "conntrack", "zone") ?? 0)
        flow.id = number("ctwatch", "conntrack", "id").map { UInt32(truncatingIfNeeded: $0) }
        if let type = number("ctwatch", "conntrack", "icmp", "type"),
            let code = number("ctwatch", "conntrack", "icmp", "code"),
            let id = number("ctwatch", "conntrack", "icmp", "id")
        {
            flow.icmp = ICMPInfo(
                type: UInt8(truncatingIfNeeded: type), code: UInt8(truncatingIfNeeded: code),
                id: UInt16(truncatingIfNeeded: id))
        }
        if let sp = number("source", "packets"), let sb = number("source", "bytes"),
            let dp = number("destination", "packets"), let db = number("destination", "bytes")
        {
            flow.counters = Counters(originalPackets: sp, originalBytes: sb, replyPackets: dp, replyBytes: db)
        }
        flow.startNanoseconds = value[path: "event", "start"]?.stringValue.flatMap { nanoseconds(utcText: $0) }
        flow.stopNanoseconds = value[path: "event", "end"]?.stringValue.flatMap { nanoseconds(utcText: $0) }
        return flow
    }

    /// Every problem of a line whose flow is not known in advance, found without
    /// taking the line's word for anything it could get wrong together with the
    /// formatter: the framing and header, the IANA keyword against the number, the
    /// Community ID recomputed by an independent implementation from the line's
    /// own original tuple, NAT members against the line's own reply tuple, and
    /// `related.ip` against the four addresses. It cannot know whether the
    /// tuples are the kernel's: compare with `conntrack -L -o id` for that
    /// (`conntrackProblems`).
    public static func selfConsistencyProblems(_ line: [UInt8]) -> [String] {
        let (value, problems) = checkLine(line)
        guard let value else { return problems }
        return problems + shapeProblems(value)
    }

    /// The checks of `selfConsistencyProblems` on a parsed line.
    public static func shapeProblems(_ value: JSONValue) -> [String] {
        var problems: [String] = []
        guard let numberText = value[path: "network", "iana_number"]?.stringValue, let number = UInt8(numberText),
            String(number) == numberText
        else { return ["network.iana_number missing or not a decimal protocol number"] }
        problems += transportProblems(value, number: number)
        let ported = portedProtocols.contains(number)
        func member(_ path: [String]) -> JSONValue? {
            var current: JSONValue? = value
            for key in path { current = current?[key] }
            return current
        }
        func port(_ path: [String]) -> UInt16? { member(path)?.unsignedValue.flatMap { UInt16(exactly: $0) } }
        let reply = ["ctwatch", "conntrack", "reply"]
        var addresses: [String] = []
        for path in [["source"], ["destination"], reply + ["source"], reply + ["destination"]] {
            let name = path.joined(separator: ".")
            guard let address = member(path + ["ip"])?.stringValue, let bytes = addressBytes(address) else {
                problems.append("\(name).ip missing or not an address")
                continue
            }
            addresses.append(address)
            let family = bytes.count == 4 ? "ipv4" : "ipv6"
            if value[path: "network", "type"]?.stringValue != family {
                problems.append("network.type is not \(family), the family of \(address)")
            }
            if ported && port(path + ["port"]) == nil { problems.append("\(name).port missing or not a port") }
            if !ported && member(path + ["port"]) != nil {
                problems.append("\(name).port present on protocol \(number)")
            }
        }
        guard addresses.count == 4 else { return problems }
        let (sourcePort, destinationPort) = (port(["source", "port"]), port(["destination", "port"]))
        let (replySourcePort, replyDestinationPort) = (
            port(reply + ["source", "port"]), port(reply + ["destination", "port"])
        )
        if addressBytes(addresses[1]) != addressBytes(addresses[2]) || destinationPort != replySourcePort {
            expect(value, ["destination", "nat", "ip"], .string(addresses[2]), &problems)
            expect(value, ["destination", "nat", "port"], replySourcePort.map { .number(String($0)) }, &problems)
        } else {
            expect(value, ["destination", "nat"], nil, &problems)
        }
        if addressBytes(addresses[0]) != addressBytes(addresses[3]) || sourcePort != replyDestinationPort {
            expect(value, ["source", "nat", "ip"], .string(addresses[3]), &problems)
            expect(value, ["source", "nat", "port"], replyDestinationPort.map { .number(String($0)) }, &problems)
        } else {
            expect(value, ["source", "nat"], nil, &problems)
        }
        problems += relatedProblems(value, addresses: addresses)
        let icmp = number == 1 || number == 58
        let icmpType = member(["ctwatch", "conntrack", "icmp", "type"])?.unsignedValue.flatMap { UInt16(exactly: $0) }
        let icmpCode = member(["ctwatch", "conntrack", "icmp", "code"])?.unsignedValue.flatMap { UInt16(exactly: $0) }
        problems += communityIDProblems(
            value, transport: number, source: addresses[0], destination: addresses[1],
            sourcePort: (icmp ? icmpType : sourcePort) ?? 0, destinationPort: (icmp ? icmpCode : destinationPort) ?? 0)
        if let status = member(["ctwatch", "conntrack", "status"])?.arrayValue?.compactMap(\.stringValue),
            let seenReply = member(["ctwatch", "conntrack", "seen_reply"])?.boolValue
        {
            if status.contains("SEEN_REPLY") != seenReply {
                problems.append("seen_reply \(seenReply) disagrees with status \(status)")
            }
        } else {
            problems.append("ctwatch.conntrack.status or seen_reply missing")
        }
        return problems
    }

    // MARK: Independent truth

    /// The protocols whose tuples carry ports: TCP, UDP, DCCP, SCTP, UDP-Lite.
    static let portedProtocols: Set<UInt8> = [6, 17, 33, 132, 136]

    /// Keywords of the IANA registry "Assigned Internet Protocol Numbers",
    /// lowercased, for the protocols the tests meet (typed from the registry,
    /// not from ctwatch's table).
    public static let ianaKeywords: [UInt8: String] = [
        0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipv4", 6: "tcp", 17: "udp", 33: "dccp", 41: "ipv6", 47: "gre",
        50: "esp", 51: "ah", 58: "ipv6-icmp", 89: "ospfigp", 94: "ipip", 103: "pim", 112: "vrrp", 115: "l2tp",
        132: "sctp", 136: "udplite", 137: "mpls-in-ip", 143: "ethernet", 147: "bit-emu",
    ]

    /// The numbers IANA gives no keyword: "any ..." placeholders, unassigned, experimental, reserved.
    public static let numbersWithoutKeyword: Set<UInt8> = Set([61, 63, 68, 99, 114] + Array(148...255))

    /// `network.transport` is the IANA keyword of `number`, never a number, and
    /// absent when the number has no keyword; `network.iana_number` is the number.
    public static func transportProblems(_ value: JSONValue, number: UInt8) -> [String] {
        var problems: [String] = []
        expect(value, ["network", "iana_number"], .string(String(number)), &problems)
        if let keyword = ianaKeywords[number] {
            expect(value, ["network", "transport"], .string(keyword), &problems)
        } else if numbersWithoutKeyword.contains(number) {
            expect(value, ["network", "transport"], nil, &problems)
        } else if let name = value[path: "network", "transport"]?.stringValue {
            if name != name.lowercased() { problems.append("network.transport \"\(name)\" is not lowercase") }
            if name.allSatisfy(\.isNumber) {
                problems.append("network.transport \"\(name)\" is a number, not a keyword")
            }
        } else {
            problems.append("network.transport missing for protocol \(number), which has an IANA keyword")
        }
        return problems
    }

    /// `network.community_id` is the Community ID v1 (seed 0) the independent
    /// implementation computes for the original tuple (for ICMP the ports are type and code).
    public static func communityIDProblems(
        _ value: JSONValue, transport: UInt8, source: String, destination: String, sourcePort: UInt16,
        destinationPort: UInt16
    ) -> [String] {
        let expected: String
        do {
            expected = try CommunityIDReference.shared.v1(
                transport: transport, source: source, destination: destination, sourcePort: sourcePort,
                destinationPort: destinationPort)
        } catch {
            return ["cannot compute the expected Community ID: \(error)"]
        }
        var problems: [String] = []
        expect(value, ["network", "community_id"], .string(expected), &problems)
        return problems
    }

    /// `related.ip` holds each of the tuples' addresses once, and nothing else.
    static func relatedProblems(_ value: JSONValue, addresses: [String]) -> [String] {
        guard let related = value[path: "related", "ip"]?.arrayValue else {
            return ["related.ip missing or not an array"]
        }
        var problems: [String] = []
        let texts = related.compactMap(\.stringValue)
        if texts.count != related.count { problems.append("related.ip holds a non-string") }
        if Set(texts).count != texts.count { problems.append("related.ip \(texts) is not distinct") }
        let expected = Set(addresses.compactMap(addressBytes))
        if Set(texts.compactMap(addressBytes)) != expected || texts.count != expected.count {
            problems.append("related.ip \(texts) is not the set of the tuples' addresses \(Set(addresses).sorted())")
        }
        return problems
    }

    /// The address bytes of an IPv4 or IPv6 text, by inet_pton (not ctwatch's parser).
    public static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// Every problem of a flow line measured against the entry `conntrack -L -o id`
    /// or `-E -o id` printed for it: tuples, NAT, protocol, state, flags, timeout,
    /// mark, zone, counters, ICMP, id, and the Community ID by the independent
    /// implementation. Of the status bits conntrack prints only `[UNREPLIED]`
    /// (SEEN_REPLY clear) and `[ASSURED]`: only those are checked.
    /// `comparingTimeout: false` leaves the timeout out, for two reads taken
    /// apart in time (it runs down between them).
    public static func conntrackProblems(_ value: JSONValue, entry: ConntrackLine, comparingTimeout: Bool = true)
        -> [String]
    {
        var problems: [String] = []
        let ported = entry.hasPorts
        func endpoint(_ path: [String], _ address: String, _ port: UInt16?) {
            expect(value, path + ["ip"], .string(address), &problems)
            expect(value, path + ["port"], ported ? port.map { .number(String($0)) } : nil, &problems)
        }
        let (original, reply) = (entry.original, entry.reply)
        endpoint(["source"], original.source, original.sourcePort)
        endpoint(["destination"], original.destination, original.destinationPort)
        endpoint(["ctwatch", "conntrack", "reply", "source"], reply.source, reply.sourcePort)
        endpoint(["ctwatch", "conntrack", "reply", "destination"], reply.destination, reply.destinationPort)
        let destinationNATed =
            addressBytes(original.destination) != addressBytes(reply.source)
            || (ported && original.destinationPort != reply.sourcePort)
        let sourceNATed =
            addressBytes(original.source) != addressBytes(reply.destination)
            || (ported && original.sourcePort != reply.destinationPort)
        if destinationNATed {
            endpoint(["destination", "nat"], reply.source, reply.sourcePort)
        } else {
            expect(value, ["destination", "nat"], nil, &problems)
        }
        if sourceNATed {
            endpoint(["source", "nat"], reply.destination, reply.destinationPort)
        } else {
            expect(value, ["source", "nat"], nil, &problems)
        }
        expect(value, ["source", "packets"], original.packets.map { .number(String($0)) }, &problems)
        expect(value, ["source", "bytes"], original.bytes.map { .number(String($0)) }, &problems)
        expect(value, ["destination", "packets"], reply.packets.map { .number(String($0)) }, &problems)
        expect(value, ["destination", "bytes"], reply.bytes.map { .number(String($0)) }, &problems)
        problems += transportProblems(value, number: entry.protocolNumber)
        expect(value, ["network", "type"], .string(entry.isIPv6 ? "ipv6" : "ipv4"), &problems)
        let icmpType = original.icmpType.map { UInt16($0) }
        problems += communityIDProblems(
            value, transport: entry.protocolNumber, source: original.source, destination: original.destination,
            sourcePort: icmpType ?? original.sourcePort ?? 0,
            destinationPort: icmpType != nil ? UInt16(original.icmpCode ?? 0) : original.destinationPort ?? 0)
        problems += relatedProblems(
            value, addresses: [original.source, original.destination, reply.source, reply.destination])
        let ct = ["ctwatch", "conntrack"]
        expect(value, ct + ["id"], entry.id.map { .number(String($0)) }, &problems)
        expect(value, ct + ["state"], entry.state.map { .string($0) }, &problems)
        expect(value, ct + ["seen_reply"], .bool(!entry.unreplied), &problems)
        if let status = value[path: "ctwatch", "conntrack", "status"]?.arrayValue?.compactMap(\.stringValue) {
            if status.contains("SEEN_REPLY") == entry.unreplied {
                problems.append(
                    "status \(status) \(entry.unreplied ? "holds SEEN_REPLY on an [UNREPLIED] entry" : "lacks SEEN_REPLY")"
                )
            }
            if status.contains("ASSURED") != entry.assured {
                problems.append(
                    "status \(status) \(entry.assured ? "lacks ASSURED" : "holds ASSURED, but conntrack printed no [ASSURED]")"
                )
            }
        } else {
            problems.append("ctwatch.conntrack.status missing or not an array")
        }
        if comparingTimeout, let timeout = entry.timeout {
            expect(value, ct + ["timeout"], .number(String(timeout)), &problems)
        }
        expect(value, ct + ["mark"], entry.mark == 0 ? nil : .number(String(entry.mark)), &problems)
        expect(value, ct + ["zone"], entry.zone == 0 ? nil : .number(String(entry.zone)), &problems)
        if let type = original.icmpType {
            expect(value, ct + ["icmp", "type"], .number(String(type)), &problems)
            expect(value, ct + ["icmp", "code"], original.icmpCode.map { .number(String($0)) }, &problems)
            expect(value, ct + ["icmp", "id"], original.icmpID.map { .number(String($0)) }, &problems)
        } else {
            expect(value, ct + ["icmp"], nil, &problems)
        }
        return problems
    }

    /// Every problem of ctwatch's flow lines against a `conntrack -L -o id`
    /// output of the same namespace, matched by CTA_ID: a line conntrack does
    /// not list is a problem. Read both while the entries hold still (a
    /// state can change between the reads); timeouts are not compared.
    public static func conntrackProblems(_ values: [JSONValue], conntrackOutput: String) -> [String] {
        let entries = ConntrackLine.entries(conntrackOutput)
        return values.flatMap { value -> [String] in
            guard let id = value[path: "ctwatch", "conntrack", "id"]?.unsignedValue else {
                return ["a line without ctwatch.conntrack.id: \(value)"]
            }
            guard let entry = entries.first(where: { $0.id.map(UInt64.init) == id }) else {
                return ["id \(id): conntrack does not list this entry"]
            }
            return conntrackProblems(value, entry: entry, comparingTimeout: false).map { "id \(id): \($0)" }
        }
    }

    // MARK: Raw output

    /// Splits what ctwatch wrote to stdout, byte for byte, into its lines and
    /// checks the framing there, before anything decodes it: every line ends
    /// with `\n` (the last one too), none is empty, each is valid UTF-8 and under
    /// 8 KiB, and each is one strict JSON object (no duplicate keys, no null, no
    /// dotted keys) with the header fields. Returns the parsed objects too.
    public static func checkOutput(_ stdout: [UInt8]) -> (values: [JSONValue], problems: [String]) {
        var values: [JSONValue] = []
        var problems: [String] = []
        var start = 0
        var number = 0
        while start < stdout.count {
            number += 1
            guard let newline = stdout[start...].firstIndex(of: 0x0a) else {
                problems.append(
                    "line \(number): no \\n at the end of the output (\(stdout.count - start) bytes after the last one)"
                )
                break
            }
            let line = Array(stdout[start...newline])
            start = newline + 1
            if line.count == 1 {
                problems.append("line \(number) is empty")
                continue
            }
            if String(validating: line, as: UTF8.self) == nil { problems.append("line \(number) is not valid UTF-8") }
            let (value, lineProblems) = checkLine(line)
            problems += lineProblems.map { "line \(number): \($0)" }
            if let value { values.append(value) }
        }
        return (values, problems)
    }

    /// Every problem of a whole `ctwatch events --json` stdout, from its raw
    /// bytes: the framing (`checkOutput`), then per line the event fields and
    /// the shape checks of `selfConsistencyProblems`.
    public static func eventOutputProblems(stdout: [UInt8]) -> [String] {
        let (values, problems) = checkOutput(stdout)
        return problems
            + values.flatMap { value -> [String] in
                let kind: EventKind? =
                    switch value[path: "event", "action"]?.stringValue {
                    case "conntrack-new": .new
                    case "conntrack-update": .update
                    case "conntrack-destroy": .destroy
                    default: nil
                    }
                guard let kind else { return ["not a conntrack event: \(value)"] }
                return (eventProblems(value, kind: kind) + shapeProblems(value)).map { "\($0)\n  in \(value)" }
            }
    }

    /// Every problem of a whole `ctwatch list --json` stdout, from its raw bytes.
    public static func listOutputProblems(stdout: [UInt8]) -> [String] {
        let (values, problems) = checkOutput(stdout)
        return problems
            + values.flatMap { value in (listProblems(value) + shapeProblems(value)).map { "\($0)\n  in \(value)" } }
    }

    /// The counter names of a `ctwatch.stats` line's `counters` and `change`, in the kernel's order.
    public static let statisticsCounterNames = [
        "found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart",
        "clash_resolve", "chaintoolong",
    ]

    /// `event.*` and `ctwatch.stats` of one `ctwatch stats` line: the scope (`cpu`
    /// with its number, or `total` with the entries), every counter an unsigned
    /// integer, `change` with the same keys and `event.duration` together or
    /// neither, and `log.level` warn exactly when insert_failed, drop or early_drop changed.
    public static func statisticsProblems(_ value: JSONValue) -> [String] {
        var problems: [String] = []
        expect(value, ["event", "kind"], .string("metric"), &problems)
        expect(value, ["event", "action"], .string("conntrack-statistics"), &problems)
        expect(value, ["event", "dataset"], .string("ctwatch.stats"), &problems)
        guard let stats = value[path: "ctwatch", "stats"], let members = stats.objectMembers else {
            return problems + ["ctwatch.stats missing or not an object"]
        }
        let scope = stats["scope"]?.stringValue
        var allowed: Set<String> = ["scope", "counters", "change"]
        switch scope {
        case "cpu":
            allowed.insert("cpu")
            if stats["cpu"]?.unsignedValue == nil {
                problems.append("ctwatch.stats.cpu missing or not an unsigned integer")
            }
        case "total":
            allowed.formUnion(["entries", "entries_limit", "entries_change", "went_down"])
            if stats["entries"]?.unsignedValue == nil {
                problems.append("ctwatch.stats.entries missing or not an unsigned integer")
            }
            if let limit = stats["entries_limit"], limit.unsignedValue == nil {
                problems.append("ctwatch.stats.entries_limit is not an unsigned integer")
            }
            if let change = stats["entries_change"] {
                if case .number(let text) = change, Int64(text) != nil {
                } else {
                    problems.append("ctwatch.stats.entries_change is not an integer: \(change)")
                }
            }
            if (stats["entries_change"] == nil) != (stats["change"] == nil) {
                problems.append("ctwatch.stats.entries_change and change must come together")
            }
            if let wentDown = stats["went_down"] {
                let names = wentDown.arrayValue?.compactMap(\.stringValue) ?? []
                if names.isEmpty || names.count != wentDown.arrayValue?.count
                    || !names.allSatisfy(statisticsCounterNames.contains)
                {
                    problems.append("ctwatch.stats.went_down is not a non-empty array of counter names: \(wentDown)")
                }
            }
        default:
            problems.append("ctwatch.stats.scope is \(stats["scope"].map { "\($0)" } ?? "missing"), not cpu or total")
        }
        for member in members where !allowed.contains(member.key) {
            problems.append("ctwatch.stats.\(member.key) is not a field of a \(scope ?? "?") line")
        }
        for key in ["counters", "change"] {
            guard let counts = stats[key] else {
                if key == "counters" { problems.append("ctwatch.stats.counters missing") }
                continue
            }
            let names = counts.objectMembers?.map(\.key) ?? []
            if names != statisticsCounterNames {
                problems.append("ctwatch.stats.\(key) has \(names), expected \(statisticsCounterNames)")
            }
            for member in counts.objectMembers ?? [] where member.value.unsignedValue == nil {
                problems.append("ctwatch.stats.\(key).\(member.key) is not an unsigned integer: \(member.value)")
            }
        }
        let change = stats["change"]
        if (change == nil) != (value[path: "event", "duration"] == nil) {
            problems.append("event.duration and ctwatch.stats.change must come together")
        }
        if let duration = value[path: "event", "duration"], duration.unsignedValue == nil {
            problems.append("event.duration is not an unsigned integer of nanoseconds")
        }
        let lost = ["insert_failed", "drop", "early_drop"].contains { (change?[$0]?.unsignedValue ?? 0) > 0 }
        expect(value, ["log", "level"], .string(lost ? "warn" : "info"), &problems)
        return problems
    }

    /// Every problem of a whole `ctwatch stats --json` stdout, from its raw
    /// bytes: the framing, each line's fields, and the grouping: each sample
    /// is `cpus` CPU lines in ascending order then one total line whose
    /// counters and change are the sums of its CPU lines'; the first sample
    /// alone has no change.
    public static func statisticsOutputProblems(stdout: [UInt8], cpus: Int) -> [String] {
        let (values, framing) = checkOutput(stdout)
        var problems = framing + values.flatMap { value in statisticsProblems(value).map { "\($0)\n  in \(value)" } }
        guard values.count % (cpus + 1) == 0, !values.isEmpty else {
            return problems + ["\(values.count) lines are not whole samples of \(cpus) CPU lines and a total"]
        }
        for (index, start) in stride(from: 0, to: values.count, by: cpus + 1).enumerated() {
            let sample = Array(values[start..<start + cpus + 1])
            let cpuNumbers = sample.dropLast().compactMap { $0[path: "ctwatch", "stats", "cpu"]?.unsignedValue }
            if cpuNumbers != cpuNumbers.sorted() || Set(cpuNumbers).count != cpus {
                problems.append("sample \(index + 1): CPU lines \(cpuNumbers) are not \(cpus) distinct CPUs in order")
            }
            let total = sample[cpus]
            if total[path: "ctwatch", "stats", "scope"]?.stringValue != "total" {
                problems.append("sample \(index + 1) does not end with its total line")
            }
            if (index == 0) != (total[path: "ctwatch", "stats", "change"] == nil) {
                problems.append("sample \(index + 1): only the first sample has no change")
            }
            if Set(sample.compactMap { $0["@timestamp"]?.stringValue }).count != 1 {
                problems.append("sample \(index + 1): its lines do not share one @timestamp")
            }
            for key in ["counters", "change"] {
                for name in statisticsCounterNames {
                    let parts = sample.dropLast().map { $0[path: "ctwatch", "stats", key, name]?.unsignedValue }
                    guard let sum = parts.reduce(Optional(UInt64(0)), { a, b in a.flatMap { a in b.map { a + $0 } } })
                    else { continue }
                    let stated = total[path: "ctwatch", "stats", key, name]?.unsignedValue
                    if stated != sum {
                        problems.append(
                            "sample \(index + 1): total \(key).\(name) is \(stated.map(String.init) ?? "missing"), the CPUs sum to \(sum)"
                        )
                    }
                }
            }
        }
        return problems
    }
}
