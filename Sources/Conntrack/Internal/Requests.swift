import CNetfilterConntrack

/// The ctnetlink and rtnetlink requests the handle makes, over a NetlinkSocket.
enum Requests {
    static let dumpOperation = "dump the conntrack table"

    /// Dumps entries of `family` (AF_UNSPEC for both), with the kernel-side
    /// mark/status filter of `filter` when it has one.
    ///
    /// NLM_F_DUMP_INTR is not retried here: entries already went to `emit`,
    /// and ctnetlink never sets it (it does not track a dump's consistency;
    /// a conntrack dump is not a snapshot anyway, which callers allow for by
    /// confirming across two observations).
    static func dump(
        socket: NetlinkSocket, family: IPAddress.Family?, filter: FlowFilter, emit: (Flow) -> Void
    ) throws {
        let parser = FlowParser()
        try Syscalls.withDumpFilter(
            mark: filter.mark.map { ($0.value, $0.mask) },
            status: filter.kernelStatus.map { ($0.value.rawValue, $0.mask.rawValue) },
            family: family?.rawValue
        ) { kernelFilter in
            try socket.transact(
                operation: dumpOperation,
                build: { buffer, sequence in
                    ctw_build_dump(
                        buffer, sequence, family?.rawValue ?? UInt8(AF_UNSPEC),
                        UInt8(IPCTNL_MSG_CT_GET.rawValue), kernelFilter)
                },
                consume: { bytes, match in
                    let outcome = parser.parse(bytes, match: match) { _, flow in emit(flow) }
                    if outcome.error != 0 { throw requestError(dumpOperation, outcome.error) }
                    return outcome.done
                })
        }
    }

    /// Room for every message a chunk can hold: each has at least a 16-byte header.
    static func messageCapacity(_ bytes: UnsafeRawBufferPointer) -> Int { bytes.count / 16 + 1 }

    static func requestError(_ operation: String, _ code: Int32) -> ConntrackError {
        switch code {
        case EOPNOTSUPP, ENOENT, EPROTONOSUPPORT:
            ConntrackError(
                operation: operation, errno: code,
                hint: "this kernel has no ctnetlink: load nf_conntrack_netlink or build it in")
        default:
            ConntrackError(operation: operation, errno: code)
        }
    }

    static let statisticsOperation = "read conntrack statistics"

    /// Per-CPU counters and the entry count (`conntrack -S`, `conntrack -C`):
    /// an IPCTNL_MSG_CT_GET_STATS_CPU dump (one message per possible CPU,
    /// `nfgenmsg.res_id` its number), then one IPCTNL_MSG_CT_GET_STATS request.
    static func statistics(socket: NetlinkSocket) throws -> TableStatistics {
        var collector = StatisticsCollector()
        var interrupted = false  // per-CPU counters: a changing CPU set is not worth a retry
        let failure: (Int32) -> ConntrackError = { requestError(statisticsOperation, $0) }
        func collect(_ bytes: UnsafeRawBufferPointer, _ match: ReplyMatch) throws -> Bool {
            try parseChunk(
                bytes, failure: failure, interrupted: &interrupted,
                parse: {
                    ctw_parse_stats_messages(
                        bytes.baseAddress, bytes.count, match.sequence, match.portID, $0, $1, &$2, &$3, &$4)
                },
                each: { collector.add($0) })
        }
        try socket.transact(
            operation: statisticsOperation,
            build: { ctw_build_dump($0, $1, UInt8(AF_UNSPEC), UInt8(IPCTNL_MSG_CT_GET_STATS_CPU.rawValue), nil) },
            consume: collect)
        try socket.transact(
            operation: statisticsOperation,
            build: { ctw_build_get($0, $1, UInt8(IPCTNL_MSG_CT_GET_STATS.rawValue)) },
            consume: collect)
        return collector.statistics
    }

    /// The statistics in recorded answers to the two statistics requests (as a
    /// socket received them, one buffer after the other), for decoding without a socket.
    static func statistics(netlinkMessages buffers: [[UInt8]]) throws -> TableStatistics {
        var collector = StatisticsCollector()
        var interrupted = false
        for bytes in buffers {
            _ = try bytes.withUnsafeBytes { bytes in
                try parseChunk(
                    bytes, failure: { requestError(statisticsOperation, $0) }, interrupted: &interrupted,
                    parse: { ctw_parse_stats_messages(bytes.baseAddress, bytes.count, 0, 0, $0, $1, &$2, &$3, &$4) },
                    each: { collector.add($0) })
            }
        }
        return collector.statistics
    }

    /// StatisticsCollector turns parsed statistics messages into a TableStatistics.
    struct StatisticsCollector {
        private var perCPU: [CPUStatistics] = []
        private var entries: UInt32 = 0
        private var maxEntries: UInt32?

        /// The counters, by their attribute type (CTA_STATS_*).
        static let attributes: [(StatisticsCounter, Int)] = [
            (.found, Int(CTA_STATS_FOUND.rawValue)),
            (.invalid, Int(CTA_STATS_INVALID.rawValue)),
            (.insert, Int(CTA_STATS_INSERT.rawValue)),
            (.insertFailed, Int(CTA_STATS_INSERT_FAILED.rawValue)),
            (.drop, Int(CTA_STATS_DROP.rawValue)),
            (.earlyDrop, Int(CTA_STATS_EARLY_DROP.rawValue)),
            (.error, Int(CTA_STATS_ERROR.rawValue)),
            (.searchRestart, Int(CTA_STATS_SEARCH_RESTART.rawValue)),
            (.clashResolve, Int(CTA_STATS_CLASH_RESOLVE.rawValue)),
            (.chainTooLong, Int(CTA_STATS_CHAIN_TOOLONG.rawValue)),
        ]

        /// Takes one message; true for the global one, the single answer of a
        /// plain GET (no NLMSG_DONE follows it).
        mutating func add(_ record: ctw_stats) -> Bool {
            let values = withUnsafeBytes(of: record.values) { Array($0.bindMemory(to: UInt32.self)) }
            if record.global != 0 {
                entries = values[Int(CTA_STATS_GLOBAL_ENTRIES.rawValue)]
                let max = Int(CTA_STATS_GLOBAL_MAX_ENTRIES.rawValue)
                maxEntries = record.present & (1 << max) != 0 ? values[max] : nil
                return true
            }
            var counts = StatisticsCounts()
            for (counter, attribute) in Self.attributes { counts[counter] = UInt64(values[attribute]) }
            perCPU.append(CPUStatistics(cpu: Int(record.cpu), counts: counts))
            return false
        }

        var statistics: TableStatistics {
            TableStatistics(entries: entries, maxEntries: maxEntries, perCPU: perCPU)
        }
    }

    /// How many times a links-and-addresses dump is tried while the kernel
    /// says it changed under it (NLM_F_DUMP_INTR).
    static let interfaceDumpAttempts = 4

    /// The interfaces of the socket's namespace with their kind and addresses.
    ///
    /// rtnetlink sets NLM_F_DUMP_INTR when links or addresses changed during
    /// the dump; the answer is then retried (it is collected whole before it
    /// is returned, so a retry is clean), a few times, then reported as an error
    /// rather than returned half-true.
    static func interfaces(socket: NetlinkSocket) throws -> [NetworkInterface] {
        let operation = "list network interfaces"
        return try uninterrupted(attempts: interfaceDumpAttempts, operation: operation, what: "the interfaces") {
            try interfacesOnce(socket: socket, operation: operation)
        }
    }

    /// Runs `dumpOnce` (nil when the kernel flagged the dump interrupted,
    /// NLM_F_DUMP_INTR: the answer is collected whole, so a retry is clean)
    /// until an answer comes whole, `attempts` times at most; then `what`
    /// kept changing is an error rather than an answer returned half-true.
    static func uninterrupted<T>(
        attempts: Int, operation: String, what: String, _ dumpOnce: () throws -> T?
    ) throws -> T {
        for _ in 0..<attempts {
            if let answer = try dumpOnce() { return answer }
        }
        throw ConntrackError(
            operation: operation, errno: EAGAIN, hint: "\(what) kept changing during \(attempts) dumps: try again")
    }

    /// The text of a fixed-size C character array: up to its first NUL.
    static func text<T>(ofCharacters array: T) -> String {
        withUnsafeBytes(of: array) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// One dump of links and addresses; nil when the kernel flagged it interrupted.
    private static func interfacesOnce(socket: NetlinkSocket, operation: String) throws -> [NetworkInterface]? {
        let failure = { (code: Int32) in ConntrackError(operation: operation, errno: code) }
        var interfaces: [Int32: NetworkInterface] = [:]
        var interrupted = false
        try socket.transact(
            operation: operation,
            build: { ctw_build_rt_dump($0, UInt16(RTM_GETLINK), UInt8(AF_UNSPEC), $1) },
            consume: { bytes, match in
                try parseChunk(
                    bytes, failure: failure, interrupted: &interrupted,
                    parse: {
                        ctw_parse_links(
                            bytes.baseAddress, bytes.count, match.sequence, match.portID, $0, $1, &$2, &$3, &$4)
                    },
                    each: { (link: ctw_link) in
                        interfaces[link.index] = interface(link)
                        return false
                    })
            })
        try socket.transact(
            operation: operation,
            build: { ctw_build_rt_dump($0, UInt16(RTM_GETADDR), UInt8(AF_UNSPEC), $1) },
            consume: { bytes, match in
                try parseChunk(
                    bytes, failure: failure, interrupted: &interrupted,
                    parse: {
                        ctw_parse_addrs(
                            bytes.baseAddress, bytes.count, match.sequence, match.portID, $0, $1, &$2, &$3, &$4)
                    },
                    each: { (record: ctw_addr) in
                        let ip =
                            record.family == UInt8(AF_INET6)
                            ? IPAddress(ipv6High: record.hi, low: record.lo)
                            : IPAddress(ipv4: UInt32(truncatingIfNeeded: record.lo))
                        interfaces[record.index]?.addresses.append(
                            InterfaceAddress(address: ip, prefixLength: Int(record.prefixlen)))
                        return false
                    })
            })
        if interrupted { return nil }
        return interfaces.values.sorted { $0.index < $1.index }
    }

    /// The interface a parsed RTM_NEWLINK describes, without its addresses.
    static func interface(_ link: ctw_link) -> NetworkInterface {
        let name = text(ofCharacters: link.name)
        let kind = text(ofCharacters: link.kind)
        // A kernel without bridge netfilter sends neither option.
        let options =
            link.nf_call_iptables < 0 && link.nf_call_ip6tables < 0
            ? nil
            : BridgeNetfilterOptions(callIPTables: link.nf_call_iptables > 0, callIP6Tables: link.nf_call_ip6tables > 0)
        return NetworkInterface(
            index: Int(link.index), name: name, kind: kind, addresses: [], bridgeNetfilter: options,
            master: link.master > 0 ? Int(link.master) : nil,
            bridgePort: link.bridge_port != 0 ? BridgePortOptions(hairpin: link.hairpin != 0) : nil,
            promiscuous: link.promiscuity > 0,
            // The kernel counts in USER_HZ ticks, 100 a second on every Linux ABI.
            forwardingAgeingSeconds: link.ageing >= 0 ? Double(link.ageing) / 100 : nil)
    }

    /// The links in recorded RTM_NEWLINK messages (a links dump as a socket
    /// received it), for decoding without a socket.
    static func links(netlinkMessages bytes: [UInt8]) throws -> [NetworkInterface] {
        var links: [NetworkInterface] = []
        var interrupted = false
        _ = try bytes.withUnsafeBytes { bytes in
            try parseChunk(
                bytes, failure: { ConntrackError(operation: "decode links", errno: $0) }, interrupted: &interrupted,
                parse: { ctw_parse_links(bytes.baseAddress, bytes.count, 0, 0, $0, $1, &$2, &$3, &$4) },
                each: { (link: ctw_link) in
                    links.append(interface(link))
                    return false
                })
        }
        return links
    }

    static let nftablesChainsOperation = "list nftables chains"
    static let nftablesDumpAttempts = 5

    /// The chains of the namespace's nf_tables rule set (NFT_MSG_GETCHAIN,
    /// every family). Dumped again when the rule set changed during the dump.
    static func nftablesChains(socket: NetlinkSocket) throws -> [NFTablesChain] {
        let operation = nftablesChainsOperation
        let failure = { (code: Int32) -> ConntrackError in
            code == EOPNOTSUPP || code == EPROTONOSUPPORT
                ? ConntrackError(operation: operation, errno: code, hint: "this kernel has no nf_tables")
                : ConntrackError(operation: operation, errno: code)
        }
        return try uninterrupted(attempts: nftablesDumpAttempts, operation: operation, what: "the rule set") {
            var chains: [NFTablesChain] = []
            var interrupted = false
            try socket.transact(
                operation: operation,
                build: { ctw_build_nft_chain_dump($0, $1) },
                consume: { bytes, match in
                    try parseChunk(
                        bytes, failure: failure, interrupted: &interrupted,
                        parse: {
                            ctw_parse_nft_chains(
                                bytes.baseAddress, bytes.count, match.sequence, match.portID, $0, $1, &$2, &$3, &$4)
                        },
                        each: { (chain: ctw_nft_chain) in
                            chains.append(
                                NFTablesChain(
                                    family: NFTablesChain.Family(rawValue: chain.family),
                                    table: text(ofCharacters: chain.table), name: text(ofCharacters: chain.name)))
                            return false
                        })
                })
            return interrupted ? nil : chains
        }
    }

    /// Runs one `ctw_parse_*` walker over a received chunk, with room for
    /// every message it can hold, and hands each record to `each` (which
    /// returns true when the answer is complete). Returns whether it is.
    static func parseChunk<Record>(
        _ bytes: UnsafeRawBufferPointer, failure: (Int32) -> ConntrackError, interrupted: inout Bool,
        parse: (UnsafeMutablePointer<Record>, Int32, inout Int32, inout Int32, inout Int32) -> Int32,
        each: (Record) throws -> Bool
    ) throws -> Bool {
        let capacity = messageCapacity(bytes)
        let records = UnsafeMutablePointer<Record>.allocate(capacity: capacity)
        defer { records.deallocate() }
        var done: Int32 = 0
        var error: Int32 = 0
        var dumpInterrupted: Int32 = 0
        let count = parse(records, Int32(capacity), &done, &error, &dumpInterrupted)
        if dumpInterrupted != 0 { interrupted = true }
        if error != 0 { throw failure(error) }
        for i in 0..<Int(count) where try each(records[i]) { return true }
        return done != 0
    }
}
