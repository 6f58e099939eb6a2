import Conntrack

/// FlowFormatter writes flows as text (`conntrack -E` style) and as the ECS
/// fields of ctwatch's JSON lines.
public enum FlowFormatter {
    /// The ECS version the JSON names follow.
    public static let ecsVersion: StaticString = "8.11.0"

    // MARK: Text

    /// `tcp 6 120 SYN_SENT src=... dst=... sport=... dport=... [UNREPLIED] src=... ...`,
    /// the body of a `conntrack -L` / `-E` line. `showTimeout` is false for DESTROY.
    public static func appendConntrackText(_ flow: Flow, showTimeout: Bool = true, to out: inout some ByteOutput) {
        // conntrack names protocol 58 `icmpv6`; ECS and IANA say `ipv6-icmp` (the JSON's name).
        if flow.transport == .icmpv6 {
            out.append(literal: "icmpv6")
        } else {
            appendName(flow.transport, to: &out)
        }
        out.append(0x20)
        ASCIIDigits.append(UInt64(flow.transport.rawValue), to: &out)
        if showTimeout, let timeout = flow.timeout {
            out.append(0x20)
            ASCIIDigits.append(UInt64(timeout), to: &out)
        }
        if let state = flow.tcpState {
            out.append(0x20)
            out.append(literal: state.name)
        }
        appendTuple(flow.original, flow: flow, reply: false, to: &out)
        if let counters = flow.counters {
            appendCounters(counters.originalPackets, counters.originalBytes, to: &out)
        }
        if flow.isUnreplied { out.append(literal: " [UNREPLIED]") }
        appendTuple(flow.reply, flow: flow, reply: true, to: &out)
        if let counters = flow.counters {
            appendCounters(counters.replyPackets, counters.replyBytes, to: &out)
        }
        if flow.status.contains(.assured) { out.append(literal: " [ASSURED]") }
        if flow.mark != 0 {
            out.append(literal: " mark=")
            ASCIIDigits.append(UInt64(flow.mark), to: &out)
        }
        if flow.zone != 0 {
            out.append(literal: " zone=")
            ASCIIDigits.append(UInt64(flow.zone), to: &out)
        }
        if let id = flow.id {
            out.append(literal: " id=")
            ASCIIDigits.append(UInt64(id), to: &out)
        }
    }

    private static func appendTuple(_ tuple: Tuple, flow: Flow, reply: Bool, to out: inout some ByteOutput) {
        out.append(literal: " src=")
        tuple.source.appendText(to: &out)
        out.append(literal: " dst=")
        tuple.destination.appendText(to: &out)
        if flow.transport.hasPorts {
            out.append(literal: " sport=")
            ASCIIDigits.append(UInt64(tuple.sourcePort), to: &out)
            out.append(literal: " dport=")
            ASCIIDigits.append(UInt64(tuple.destinationPort), to: &out)
        } else if let icmp = reply ? flow.replyICMP : flow.icmp {
            out.append(literal: " type=")
            ASCIIDigits.append(UInt64(icmp.type), to: &out)
            out.append(literal: " code=")
            ASCIIDigits.append(UInt64(icmp.code), to: &out)
            out.append(literal: " id=")
            ASCIIDigits.append(UInt64(icmp.id), to: &out)
        }
    }

    private static func appendCounters(_ packets: UInt64, _ bytes: UInt64, to out: inout some ByteOutput) {
        out.append(literal: " packets=")
        ASCIIDigits.append(packets, to: &out)
        out.append(literal: " bytes=")
        ASCIIDigits.append(bytes, to: &out)
    }

    /// `10.224.1.34:53690 -> 10.233.53.172:8080 => 10.224.1.56:8080`: the short form
    /// used in JSON `message` and in tables.
    public static func appendShortTuple(_ flow: Flow, to out: inout some ByteOutput) {
        appendShortTuple(flow, texts: AddressTexts(flow), to: &out)
    }

    /// The same with the addresses already formatted (a JSON line writes them again in its fields).
    static func appendShortTuple(_ flow: Flow, texts: AddressTexts, to out: inout some ByteOutput) {
        appendEndpoint(texts.origSource, flow.original.sourcePort, flow: flow, to: &out)
        out.append(literal: " -> ")
        appendEndpoint(texts.origDestination, flow.original.destinationPort, flow: flow, to: &out)
        if flow.isDestinationNATed {
            out.append(literal: " => ")
            appendEndpoint(texts.replySource, flow.reply.sourcePort, flow: flow, to: &out)
        }
    }

    /// `ip:port`, `[ip]:port` for IPv6, the address alone for a protocol without ports.
    private static func appendEndpoint(_ text: InlineText, _ port: UInt16, flow: Flow, to out: inout some ByteOutput) {
        guard flow.transport.hasPorts else {
            text.write(to: &out)
            return
        }
        if flow.family == .ipv6 { out.append(UInt8(ascii: "[")) }
        text.write(to: &out)
        if flow.family == .ipv6 { out.append(UInt8(ascii: "]")) }
        out.append(UInt8(ascii: ":"))
        ASCIIDigits.append(UInt64(port), to: &out)
    }

    /// AddressTexts are a flow's four addresses, each formatted once: a JSON
    /// line names them in its message and up to four times in its fields.
    struct AddressTexts {
        let origSource: InlineText
        let origDestination: InlineText
        let replySource: InlineText
        let replyDestination: InlineText

        init(_ flow: Flow) {
            origSource = InlineText(flow.original.source)
            origDestination = InlineText(flow.original.destination)
            replySource =
                flow.reply.source == flow.original.destination ? origDestination : InlineText(flow.reply.source)
            replyDestination =
                flow.reply.destination == flow.original.source ? origSource : InlineText(flow.reply.destination)
        }
    }

    /// `ip:port` of one of `flow`'s addresses, as in the short tuple.
    public static func appendEndpoint(_ ip: IPAddress, _ port: UInt16, flow: Flow, to out: inout some ByteOutput) {
        appendEndpoint(InlineText(ip), port, flow: flow, to: &out)
    }

    @inline(__always)
    static func append(_ text: String, to out: inout some ByteOutput) {
        out.append(utf8: text)
    }

    /// `tcp`, `udp`, ... without allocating; the number for an unknown protocol.
    static func appendName(_ transport: TransportProtocol, to out: inout some ByteOutput) {
        if let name = transport.staticName {
            out.append(literal: name)
        } else {
            ASCIIDigits.append(UInt64(transport.rawValue), to: &out)
        }
    }

    // MARK: JSON

    /// Writes the ECS header fields with a message of any text (escaped).
    public static func writeHeader<Output: ByteOutput>(
        _ json: inout JSONWriter<Output>, timestamp: WallTime, level: StaticString, message: String
    ) {
        writeHeader(
            &json, timestamp: InlineText(rfc3339: timestamp), level: level,
            writeMessage: { $0.field("message", message) })
    }

    /// Writes the ECS header fields every line carries. `message` appends text
    /// that needs no JSON escaping: tags, protocol names, addresses, numbers.
    public static func writeHeader<Output: ByteOutput>(
        _ json: inout JSONWriter<Output>, timestamp: WallTime, level: StaticString, message: (inout Output) -> Void
    ) {
        writeHeader(&json, timestamp: InlineText(rfc3339: timestamp), level: level, message: message)
    }

    /// The same with the time already formatted (events of one batch share it).
    static func writeHeader<Output: ByteOutput>(
        _ json: inout JSONWriter<Output>, timestamp: InlineText, level: StaticString, message: (inout Output) -> Void
    ) {
        writeHeader(&json, timestamp: timestamp, level: level, writeMessage: { $0.field("message", ascii: message) })
    }

    /// The one writer of the header; `writeMessage` writes the `message` field.
    private static func writeHeader<Output: ByteOutput>(
        _ json: inout JSONWriter<Output>, timestamp: InlineText, level: StaticString,
        writeMessage: (inout JSONWriter<Output>) -> Void
    ) {
        json.field("@timestamp", timestamp)
        json.beginObject("log")
        json.field("level", level)
        json.endObject()
        writeMessage(&json)
        json.beginObject("ecs")
        json.field("version", ecsVersion)
        json.endObject()
    }

    /// Writes the flow fields of the schema: source, destination (with nat),
    /// network, related, and `ctwatch.conntrack`. `ctwatchExtra` adds more
    /// fields inside the `ctwatch` object (pods, service, diagnosis).
    public static func writeFlow<Output: ByteOutput>(
        _ flow: Flow, attribution: Attribution? = nil, into json: inout JSONWriter<Output>,
        ctwatchExtra: ((inout JSONWriter<Output>) -> Void)? = nil
    ) {
        writeFlow(flow, texts: AddressTexts(flow), attribution: attribution, into: &json, ctwatchExtra: ctwatchExtra)
    }

    /// The same with the addresses already formatted (for the line's message).
    static func writeFlow<Output: ByteOutput>(
        _ flow: Flow, texts: AddressTexts, attribution: Attribution? = nil, into json: inout JSONWriter<Output>,
        ctwatchExtra: ((inout JSONWriter<Output>) -> Void)? = nil
    ) {
        let ported = flow.transport.hasPorts
        let (origSource, origDestination) = (texts.origSource, texts.origDestination)
        let (replySource, replyDestination) = (texts.replySource, texts.replyDestination)
        writeEndpoint(
            "source", origSource, port: ported ? flow.original.sourcePort : nil,
            counters: flow.counters.map { ($0.originalPackets, $0.originalBytes) },
            nat: flow.isSourceNATed ? (replyDestination, ported ? flow.reply.destinationPort : nil) : nil, into: &json)
        writeEndpoint(
            "destination", origDestination, port: ported ? flow.original.destinationPort : nil,
            counters: flow.counters.map { ($0.replyPackets, $0.replyBytes) },
            nat: flow.isDestinationNATed ? (replySource, ported ? flow.reply.sourcePort : nil) : nil, into: &json)
        json.beginObject("network")
        // ECS: the IANA keyword, never a number; a protocol without one has only its number.
        if let name = flow.transport.staticName { json.field("transport", name) }
        json.field("iana_number", ascii: { ASCIIDigits.append(UInt64(flow.transport.rawValue), to: &$0) })
        json.field("type", flow.family == .ipv4 ? "ipv4" as StaticString : "ipv6")
        // Base64 and a colon: nothing to escape.
        json.field(
            "community_id", ascii: { out in withUnsafeBytes(of: flow.communityIDText()) { out.append(raw: $0) } })
        json.endObject()
        json.beginObject("related")
        json.beginArray("ip")
        // The distinct addresses of both tuples, in tuple order (no array: this runs per event).
        let (a, b, c, d) = (flow.original.source, flow.original.destination, flow.reply.source, flow.reply.destination)
        json.element(origSource)
        if b != a { json.element(origDestination) }
        if c != a && c != b { json.element(replySource) }
        if d != a && d != b && d != c { json.element(replyDestination) }
        json.endArray()
        json.endObject()
        json.beginObject("ctwatch")
        json.beginObject("conntrack")
        if let id = flow.id { json.field("id", id) }
        if let state = flow.tcpState { json.field("state", state.name) }
        json.beginArray("status")
        for (flag, name) in FlowStatus.literalNames where flow.status.contains(flag) { json.element(name) }
        json.endArray()
        json.field("seen_reply", !flow.isUnreplied)
        if let timeout = flow.timeout { json.field("timeout", timeout) }
        if flow.mark != 0 { json.field("mark", flow.mark) }
        if flow.zone != 0 { json.field("zone", flow.zone) }
        if let icmp = flow.icmp {
            json.beginObject("icmp")
            json.field("type", icmp.type)
            json.field("code", icmp.code)
            json.field("id", icmp.id)
            json.endObject()
        }
        json.beginObject("reply")
        writeEndpoint("source", replySource, port: ported ? flow.reply.sourcePort : nil, into: &json)
        writeEndpoint("destination", replyDestination, port: ported ? flow.reply.destinationPort : nil, into: &json)
        json.endObject()
        json.endObject()
        if let attribution {
            writeRef("source", attribution.sourcePod, &json)
            writeRef("backend", attribution.backendPod, &json)
            if let service = attribution.service {
                json.beginObject("service")
                json.field("name", service.name)
                json.field("namespace", service.namespace)
                json.endObject()
            }
        }
        ctwatchExtra?(&json)
        json.endObject()
    }

    /// `"key": {"ip", "port", "packets", "bytes", "nat": {"ip", "port"}}`, each part when known.
    private static func writeEndpoint<Output: ByteOutput>(
        _ key: StaticString, _ ip: InlineText, port: UInt16?, counters: (packets: UInt64, bytes: UInt64)? = nil,
        nat: (ip: InlineText, port: UInt16?)? = nil, into json: inout JSONWriter<Output>
    ) {
        json.beginObject(key)
        json.field("ip", ip)
        if let port { json.field("port", port) }
        if let counters {
            json.field("packets", counters.packets)
            json.field("bytes", counters.bytes)
        }
        if let nat { writeEndpoint("nat", nat.ip, port: nat.port, into: &json) }
        json.endObject()
    }

    /// Opens the `event` object with the fields every line of a dataset shares:
    /// kind, action, dataset, `category: ["network"]` and `type: ["connection", type?]`.
    /// The caller adds its own fields, then ends the object.
    static func beginEvent<Output: ByteOutput>(
        kind: StaticString, action: StaticString, dataset: StaticString, type: StaticString? = nil,
        into json: inout JSONWriter<Output>
    ) {
        json.beginObject("event")
        json.field("kind", kind)
        json.field("action", action)
        json.field("dataset", dataset)
        json.beginArray("category")
        json.element("network" as StaticString)
        json.endArray()
        json.beginArray("type")
        json.element("connection" as StaticString)
        if let type { json.element(type) }
        json.endArray()
    }

    private static func writeRef(_ key: StaticString, _ pod: KubeObjectRef?, _ json: inout JSONWriter<some ByteOutput>)
    {
        guard let pod else { return }
        json.beginObject(key)
        json.beginObject("pod")
        json.field("name", pod.name)
        json.field("namespace", pod.namespace)
        json.endObject()
        json.endObject()
    }
}
