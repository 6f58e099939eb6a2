import CNetfilterConntrack
import Conntrack

/// LibraryReference decodes ctnetlink messages with libnetfilter_conntrack's
/// own parser (`nfct_nlmsg_parse` and its getters), the way ctwatch did before
/// it had a decoder of its own: the reference its decoder is held to. The
/// library has no getter for the reply tuple's ICMP part: `replyICMP` is nil
/// here (RecordedICMPTests checks it against conntrack -L).
public enum LibraryReference {
    /// The entries of `bytes` (whole netlink messages), in order; a message
    /// the library refuses is left out, as the decoder leaves it out. Give it
    /// well-formed messages only: on an attribute of the wrong size the
    /// library ends the process ("ctnetlink kernel ABI is broken").
    public static func decode(netlinkMessages bytes: [UInt8]) -> [DecodedEntry] {
        // nfct_new only fails when malloc does.
        let ct = nfct_new()!
        defer { nfct_destroy(ct) }
        var entries: [DecodedEntry] = []
        var offset = 0
        while offset + 16 <= bytes.count {
            let header = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: nlmsghdr.self) }
            let length = Int(header.nlmsg_len)
            guard length >= 16, offset + length <= bytes.count else { break }
            defer { offset += (length + 3) & ~3 }
            guard header.nlmsg_type >> 8 == NFNL_SUBSYS_CTNETLINK else { continue }
            let kind: EventKind
            switch UInt32(header.nlmsg_type & 0xff) {
            case IPCTNL_MSG_CT_NEW.rawValue:
                kind = header.nlmsg_flags & UInt16(NLM_F_CREATE | NLM_F_EXCL) != 0 ? .new : .update
            case IPCTNL_MSG_CT_DELETE.rawValue: kind = .destroy
            default: continue
            }
            // The library reads up to nlmsg_len bytes past the nfgenmsg: give
            // it an aligned copy with room, zeroed past the message.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * length + 64, alignment: 8)
            defer { copy.deallocate() }
            copy.initializeMemory(as: UInt8.self, repeating: 0)
            bytes[offset..<offset + length].withUnsafeBytes { copy.copyMemory(from: $0) }
            memset(UnsafeMutableRawPointer(ct), 0, nfct_sizeof(ct))
            guard nfct_nlmsg_parse(copy.baseAddress!.assumingMemoryBound(to: nlmsghdr.self), ct) >= 0 else { continue }
            entries.append(DecodedEntry(kind: kind, flow: flow(ct)))
        }
        return entries
    }

    /// `entries` with the reply tuple's ICMP part left out, as the reference has them.
    public static func comparable(_ entries: [DecodedEntry]) -> [DecodedEntry] {
        entries.map {
            var entry = $0
            entry.flow.replyICMP = nil
            return entry
        }
    }

    static func has(_ ct: OpaquePointer, _ attribute: nf_conntrack_attr) -> Bool { nfct_attr_is_set(ct, attribute) > 0 }

    static func flow(_ ct: OpaquePointer) -> Flow {
        let l3 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO)
        let family: IPAddress.Family = l3 == UInt8(AF_INET6) ? .ipv6 : .ipv4
        func address(_ v4: nf_conntrack_attr, _ v6: nf_conntrack_attr) -> IPAddress {
            if family == .ipv4 { return IPAddress(ipv4: UInt32(bigEndian: nfct_get_attr_u32(ct, v4))) }
            guard let raw = nfct_get_attr(ct, v6) else { return IPAddress(ipv6High: 0, low: 0) }
            let high = UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))
            let low = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            return IPAddress(ipv6High: high, low: low)
        }
        func port(_ attribute: nf_conntrack_attr) -> UInt16 { UInt16(bigEndian: nfct_get_attr_u16(ct, attribute)) }
        let ports = has(ct, ATTR_ORIG_PORT_SRC)
        let replyPorts = has(ct, ATTR_REPL_PORT_SRC)
        return Flow(
            family: family,
            transport: TransportProtocol(rawValue: nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO)),
            original: Tuple(
                source: address(ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC),
                destination: address(ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST),
                sourcePort: ports ? port(ATTR_ORIG_PORT_SRC) : 0, destinationPort: ports ? port(ATTR_ORIG_PORT_DST) : 0),
            reply: Tuple(
                source: address(ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC),
                destination: address(ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST),
                sourcePort: replyPorts ? port(ATTR_REPL_PORT_SRC) : 0,
                destinationPort: replyPorts ? port(ATTR_REPL_PORT_DST) : 0),
            icmp: has(ct, ATTR_ICMP_TYPE)
                ? ICMPInfo(
                    type: nfct_get_attr_u8(ct, ATTR_ICMP_TYPE), code: nfct_get_attr_u8(ct, ATTR_ICMP_CODE),
                    id: port(ATTR_ICMP_ID)) : nil,
            replyICMP: nil,
            status: FlowStatus(rawValue: has(ct, ATTR_STATUS) ? nfct_get_attr_u32(ct, ATTR_STATUS) : 0),
            tcpState: has(ct, ATTR_TCP_STATE) ? TCPState(rawValue: nfct_get_attr_u8(ct, ATTR_TCP_STATE)) : nil,
            timeout: has(ct, ATTR_TIMEOUT) ? nfct_get_attr_u32(ct, ATTR_TIMEOUT) : nil,
            mark: nfct_get_attr_u32(ct, ATTR_MARK),
            zone: nfct_get_attr_u16(ct, ATTR_ZONE),
            id: has(ct, ATTR_ID) ? nfct_get_attr_u32(ct, ATTR_ID) : nil,
            startNanoseconds: has(ct, ATTR_TIMESTAMP_START) ? nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START) : nil,
            stopNanoseconds: has(ct, ATTR_TIMESTAMP_STOP) ? nfct_get_attr_u64(ct, ATTR_TIMESTAMP_STOP) : nil,
            counters: has(ct, ATTR_ORIG_COUNTER_PACKETS)
                ? Counters(
                    originalPackets: nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS),
                    originalBytes: nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES),
                    replyPackets: nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS),
                    replyBytes: nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES)) : nil)
    }
}
