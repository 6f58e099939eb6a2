import CNetfilterConntrack

/// FlowParser turns ctnetlink messages into Flow values, through the shim's
/// decoder (`ctw_flow_decode`) and reusable buffers of flat C copies. Not
/// thread-safe: one per reading thread.
final class FlowParser {
    private let capacity = 256
    private let flows: UnsafeMutablePointer<ctw_flow>
    private let kinds: UnsafeMutablePointer<UInt8>

    init() {
        flows = .allocate(capacity: capacity)
        kinds = .allocate(capacity: capacity)
    }

    deinit {
        flows.deallocate()
        kinds.deallocate()
    }

    struct Outcome {
        /// NLMSG_DONE, an ACK or an error ended the answer.
        var done = false
        /// The errno of an NLMSG_ERROR, 0 when none came.
        var error: Int32 = 0
        /// A message carried NLM_F_DUMP_INTR: the dump saw the table change under it.
        var interrupted = false
    }

    /// Parses every message in `bytes` that `match` accepts (others are not
    /// ours: skipped), calling `emit` for each conntrack entry.
    func parse(_ bytes: UnsafeRawBufferPointer, match: ReplyMatch = .any, emit: (EventKind, Flow) -> Void) -> Outcome {
        var outcome = Outcome()
        guard let base = bytes.baseAddress else { return outcome }
        var offset = 0
        while offset < bytes.count {
            var consumed = 0
            var done: Int32 = 0
            var error: Int32 = 0
            var interrupted: Int32 = 0
            let n = ctw_parse_messages(
                base + offset, bytes.count - offset, match.sequence, match.portID, flows, kinds,
                Int32(capacity), &consumed, &done, &error, &interrupted)
            if interrupted != 0 { outcome.interrupted = true }
            for i in 0..<Int(n) {
                emit(FlowParser.kind(kinds[i]), Flow(flows[i]))
            }
            if done != 0 || error != 0 {
                outcome.done = true
                outcome.error = error
                return outcome
            }
            if consumed == 0 { break }
            offset += consumed
        }
        return outcome
    }

    private static func kind(_ raw: UInt8) -> EventKind {
        switch UInt32(raw) {
        case CTW_EVENT_NEW.rawValue: .new
        case CTW_EVENT_DESTROY.rawValue: .destroy
        default: .update
        }
    }
}

extension Flow {
    /// A Flow from the flat C copy made by `ctw_flow_decode`.
    init(_ c: ctw_flow) {
        let family: IPAddress.Family = c.l3proto == UInt8(AF_INET6) ? .ipv6 : .ipv4
        func address(_ high: UInt64, _ low: UInt64) -> IPAddress {
            family == .ipv4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : IPAddress(ipv6High: high, low: low)
        }
        let present = c.present
        func has(_ bit: Int) -> Bool { Int(present) & bit != 0 }
        self.init(
            family: family,
            transport: TransportProtocol(rawValue: c.l4proto),
            original: Tuple(
                source: address(c.orig_src_hi, c.orig_src_lo), destination: address(c.orig_dst_hi, c.orig_dst_lo),
                sourcePort: c.orig_sport, destinationPort: c.orig_dport),
            reply: Tuple(
                source: address(c.repl_src_hi, c.repl_src_lo), destination: address(c.repl_dst_hi, c.repl_dst_lo),
                sourcePort: c.repl_sport, destinationPort: c.repl_dport),
            icmp: has(CTW_HAS_ICMP) ? ICMPInfo(type: c.icmp_type, code: c.icmp_code, id: c.icmp_id) : nil,
            replyICMP: has(CTW_HAS_REPLY_ICMP)
                ? ICMPInfo(type: c.repl_icmp_type, code: c.repl_icmp_code, id: c.repl_icmp_id) : nil,
            status: FlowStatus(rawValue: c.status),
            tcpState: has(CTW_HAS_TCP_STATE) ? TCPState(rawValue: c.tcp_state) : nil,
            timeout: has(CTW_HAS_TIMEOUT) ? c.timeout : nil,
            mark: c.mark,
            zone: c.zone,
            id: has(CTW_HAS_ID) ? c.id : nil,
            startNanoseconds: has(CTW_HAS_TS_START) ? c.ts_start : nil,
            stopNanoseconds: has(CTW_HAS_TS_STOP) ? c.ts_stop : nil,
            counters: has(CTW_HAS_COUNTERS)
                ? Counters(
                    originalPackets: c.orig_packets, originalBytes: c.orig_bytes,
                    replyPackets: c.repl_packets, replyBytes: c.repl_bytes)
                : nil)
    }
}

extension FlowParser {
    static let decodeOperation = "decode conntrack messages"

    /// Decodes a copy of `bytes` in a buffer aligned for `nlmsghdr`.
    static func decode(_ bytes: [UInt8], match: ReplyMatch) throws(ConntrackError) -> DecodedMessages {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        var entries: [DecodedEntry] = []
        let outcome = FlowParser().parse(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]), match: match) {
            entries.append(DecodedEntry(kind: $0, flow: $1))
        }
        if outcome.error != 0 { throw Requests.requestError(decodeOperation, outcome.error) }
        return DecodedMessages(entries: entries, done: outcome.done, interrupted: outcome.interrupted)
    }
}
