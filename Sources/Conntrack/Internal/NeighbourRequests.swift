import CNetfilterConntrack

/// The rtnetlink neighbour reads (RTM_GETNEIGH): the neighbour tables of
/// IPv4 and IPv6, and the bridges' forwarding databases.
extension Requests {
    static let neighboursOperation = "read the neighbour table"
    static let forwardingEntriesOperation = "read the bridge forwarding database"

    /// How many times a neighbour or forwarding-database dump is tried while
    /// the kernel says the table changed under it (NLM_F_DUMP_INTR).
    static let neighbourDumpAttempts = 4

    /// The IPv4 (ARP) and IPv6 (neighbour discovery) entries of the socket's
    /// namespace: one AF_UNSPEC dump covers both tables.
    static func neighbours(socket: NetlinkSocket) throws -> [Neighbour] {
        try consistentNeighbourDump(
            socket: socket, family: UInt8(AF_UNSPEC), operation: neighboursOperation, table: "neighbour table"
        ).compactMap(neighbour)
    }

    /// The entries of every bridge's forwarding database, and of every
    /// device's own address list, as `bridge fdb show` reads them (AF_BRIDGE).
    static func bridgeForwardingEntries(socket: NetlinkSocket) throws -> [BridgeForwardingEntry] {
        try consistentNeighbourDump(
            socket: socket, family: UInt8(AF_BRIDGE), operation: forwardingEntriesOperation,
            table: "forwarding database"
        ).compactMap(forwardingEntry)
    }

    /// The neighbours in recorded RTM_NEWNEIGH messages (a neighbour dump as
    /// a socket received it), for decoding without a socket.
    static func neighbours(netlinkMessages bytes: [UInt8]) throws -> [Neighbour] {
        try neighbourRecords(netlinkMessages: bytes, operation: "decode neighbours").compactMap(neighbour)
    }

    /// The forwarding entries in recorded RTM_NEWNEIGH messages of family AF_BRIDGE.
    static func bridgeForwardingEntries(netlinkMessages bytes: [UInt8]) throws -> [BridgeForwardingEntry] {
        try neighbourRecords(netlinkMessages: bytes, operation: "decode bridge forwarding entries")
            .compactMap(forwardingEntry)
    }

    /// The entry a parsed RTM_NEWNEIGH of the IPv4 or IPv6 table describes;
    /// nil for other families, and for an entry without a well-formed address.
    static func neighbour(_ record: ctw_neigh) -> Neighbour? {
        let address: IPAddress
        switch (Int32(record.family), record.dst_len) {
        case (AF_INET, 4): address = IPAddress(ipv4: UInt32(truncatingIfNeeded: record.lo))
        case (AF_INET6, 16): address = IPAddress(ipv6High: record.hi, low: record.lo)
        default: return nil
        }
        // The kernel counts in USER_HZ ticks, 100 a second on every Linux ABI.
        return Neighbour(
            address: address, interfaceIndex: Int(record.index), linkAddress: linkAddress(record),
            state: Neighbour.State(rawValue: record.state),
            secondsSinceUpdate: record.updated >= 0 ? Double(record.updated) / 100 : nil,
            secondsSinceConfirmed: record.confirmed >= 0 ? Double(record.confirmed) / 100 : nil)
    }

    /// The entry a parsed RTM_NEWNEIGH of family AF_BRIDGE describes; nil for
    /// other families, and for an entry without a link-layer address.
    static func forwardingEntry(_ record: ctw_neigh) -> BridgeForwardingEntry? {
        guard Int32(record.family) == AF_BRIDGE, let linkAddress = linkAddress(record) else { return nil }
        return BridgeForwardingEntry(
            linkAddress: linkAddress, portIndex: Int(record.index),
            bridgeIndex: record.master > 0 ? Int(record.master) : nil,
            vlan: record.vlan >= 0 ? UInt16(truncatingIfNeeded: record.vlan) : nil,
            // The bridge reports its ports' own addresses as NUD_PERMANENT,
            // static entries as NUD_NOARP and learned ones as REACHABLE or STALE.
            isLocal: record.state & UInt16(NUD_PERMANENT) != 0)
    }

    private static func linkAddress(_ record: ctw_neigh) -> LinkAddress? {
        guard record.has_lladdr != 0 else { return nil }
        let bytes = withUnsafeBytes(of: record.lladdr) { Array($0.prefix(Int(record.lladdr_len))) }
        return LinkAddress(bytes)
    }

    /// One neighbour dump of `family`, collected whole; retried while the
    /// kernel flags it interrupted (the table changed during it), then
    /// reported as an error rather than returned half-true.
    private static func consistentNeighbourDump(
        socket: NetlinkSocket, family: UInt8, operation: String, table: String
    ) throws -> [ctw_neigh] {
        try Requests.uninterrupted(attempts: neighbourDumpAttempts, operation: operation, what: "the \(table)") {
            try neighbourDumpOnce(socket: socket, family: family, operation: operation)
        }
    }

    /// One dump; nil when the kernel flagged it interrupted.
    private static func neighbourDumpOnce(socket: NetlinkSocket, family: UInt8, operation: String) throws
        -> [ctw_neigh]?
    {
        var records: [ctw_neigh] = []
        var interrupted = false
        try socket.transact(
            operation: operation,
            build: { ctw_build_neigh_dump($0, family, $1) },
            consume: { bytes, match in
                try parseChunk(
                    bytes, failure: { ConntrackError(operation: operation, errno: $0) }, interrupted: &interrupted,
                    parse: {
                        ctw_parse_neighs(
                            bytes.baseAddress, bytes.count, match.sequence, match.portID, $0, $1, &$2, &$3, &$4)
                    },
                    each: { (record: ctw_neigh) in
                        records.append(record)
                        return false
                    })
            })
        return interrupted ? nil : records
    }

    private static func neighbourRecords(netlinkMessages bytes: [UInt8], operation: String) throws -> [ctw_neigh] {
        var records: [ctw_neigh] = []
        var interrupted = false
        _ = try bytes.withUnsafeBytes { bytes in
            try parseChunk(
                bytes, failure: { ConntrackError(operation: operation, errno: $0) }, interrupted: &interrupted,
                parse: { ctw_parse_neighs(bytes.baseAddress, bytes.count, 0, 0, $0, $1, &$2, &$3, &$4) },
                each: { (record: ctw_neigh) in
                    records.append(record)
                    return false
                })
        }
        return records
    }
}
