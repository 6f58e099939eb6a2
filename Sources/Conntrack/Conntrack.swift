import Glibc

/// Conntrack is a handle on the connection tracking table of one network
/// namespace. It is read-only: nothing here writes to the table.
///
/// The namespace is opened once, when the handle is, and held by descriptor
/// until `close()`: every socket, sysctl and interface read of the handle is
/// made in that namespace, even after its name was deleted or given to
/// another namespace (`namespaceStatus()` tells). The sockets are created
/// inside the namespace (on a short-lived thread that enters it and comes
/// back), so the rest of the process never moves. A Conntrack is safe to
/// share across threads; its requests are serialised.
public final class Conntrack: Sendable {
    public let namespace: NetworkNamespace
    private let heldNamespace: HeldNamespace
    private let querySocket: NetlinkSocketBox
    /// rtnetlink, for interfaces and neighbours: opened with the ctnetlink socket, since every
    /// trip into the namespace (two setns calls) costs milliseconds of wall time.
    private let routeSocket: NetlinkSocketBox

    /// Opens a handle in `namespace`. Fails with a ConntrackError that says
    /// what to do: no privilege, no such namespace, a file that is not a
    /// network namespace, no ctnetlink.
    public init(namespace: NetworkNamespace = .current) throws {
        self.namespace = namespace
        let held = try HeldNamespace(namespace)
        let sockets: (query: NetlinkSocket, route: NetlinkSocket)
        do {
            sockets = try held.run(operation: "open netlink sockets in \(namespace)") {
                let query = try NetlinkSocket(bus: netfilterBus, operation: "open a ctnetlink socket in \(namespace)")
                do {
                    return (
                        query, try NetlinkSocket(bus: routeBus, operation: "open an rtnetlink socket in \(namespace)")
                    )
                } catch {
                    query.close()
                    throw error
                }
            }
        } catch {
            held.close()
            throw error
        }
        heldNamespace = held
        querySocket = NetlinkSocketBox(sockets.query)
        routeSocket = NetlinkSocketBox(sockets.route)
        // Counting entries is the cheapest request that needs CAP_NET_ADMIN:
        // it turns "no privilege" into an error now rather than mid-command.
        do {
            _ = try statistics()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes the handle's socket and lets go of its namespace. Later calls
    /// on the handle throw a ConntrackError (EBADF, "the handle was closed");
    /// subscriptions already made go on until cancelled. Closing twice is
    /// harmless. Waits for a request in progress to finish.
    public func close() {
        querySocket.close()
        routeSocket.close()
        heldNamespace.close()
    }

    /// Whether the namespace's name still refers to the namespace this
    /// handle holds (`.attached`), is gone (`.deleted`) or now names another
    /// one (`.replaced`); `.current` for the process's own namespace. The
    /// handle goes on reading the namespace it holds in every case.
    public func namespaceStatus() -> NamespaceStatus { heldNamespace.status() }

    /// Dumps the table, calling `body` with each batch of entries that pass `filter`.
    /// Both families unless the filter names one. The kernel walks its hash in
    /// chunks while entries come and go: a dump is not a snapshot.
    public func dump(filter: FlowFilter = FlowFilter(), batchSize: Int = 1024, body: ([Flow]) throws -> Void) throws {
        try querySocket.withSocket(operation: Requests.dumpOperation) { socket in
            var batch: [Flow] = []
            batch.reserveCapacity(batchSize)
            var failure: (any Error)?
            for family in Conntrack.dumpFamilies(for: filter) {
                try Requests.dump(socket: socket, family: family, filter: filter) { flow in
                    guard failure == nil, filter.matches(flow) else { return }
                    batch.append(flow)
                    if batch.count >= batchSize {
                        do { try body(batch) } catch { failure = error }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if let failure { throw failure }
            }
            if !batch.isEmpty { try body(batch) }
        }
    }

    /// Dumps the table into an array.
    public func dump(filter: FlowFilter = FlowFilter()) throws -> [Flow] {
        var flows: [Flow] = []
        try dump(filter: filter) { flows.append(contentsOf: $0) }
        return flows
    }

    /// Dumps on a thread of its own and yields batches as they are parsed, so
    /// the consumer formats one batch while the next is received.
    public func dumpBatches(filter: FlowFilter = FlowFilter(), batchSize: Int = 1024) -> AsyncThrowingStream<
        [Flow], any Error
    > {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Flow].self)
        let thread = ReceiverThread { [self] in
            do {
                try dump(filter: filter, batchSize: batchSize) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        do {
            try thread.start()
        } catch {
            continuation.finish(throwing: error)
        }
        return stream
    }

    /// Which dumps to ask for: one, of the filter's family or AF_UNSPEC for both.
    /// (The kernel rejects AF_UNSPEC only for CTA_FILTER tuple filters, which
    /// ctwatch does not send; mark and status filters work across families,
    /// and every dump walks the whole table, so one dump is half the cost of two.)
    static func dumpFamilies(for filter: FlowFilter) -> [IPAddress.Family?] {
        [filter.family]
    }

    /// The namespace's entry count, the table's limit and the per-CPU counters
    /// (`conntrack -C` and `conntrack -S`), from two ctnetlink requests. The
    /// limit comes from the kernel's answer, or from `net.netfilter.nf_conntrack_max`
    /// when a kernel does not send it.
    public func statistics() throws -> TableStatistics {
        var statistics = try querySocket.withSocket(operation: Requests.statisticsOperation) {
            try Requests.statistics(socket: $0)
        }
        if statistics.maxEntries == nil {
            let name = "net.netfilter.nf_conntrack_max"
            statistics.maxEntries = try sysctls([name])[name].flatMap { UInt32($0) }
        }
        return statistics
    }

    /// Subscribes to events. The socket joins only the groups `options.types` names.
    public func subscribe(_ options: EventSubscription.Options = .init()) throws -> EventSubscription {
        let operation = "subscribe to conntrack events in \(namespace)"
        try querySocket.checkOpen(operation: operation)
        let socket = try heldNamespace.run(operation: operation) {
            try NetlinkSocket(bus: netfilterBus, groups: options.types.rawValue, operation: operation)
        }
        return try EventSubscription(socket: socket, options: options)
    }

    /// The interfaces of the namespace with their kind (`bridge`, `veth`, ...) and addresses.
    public func interfaces() throws -> [NetworkInterface] {
        try routeSocket.withSocket(operation: "read the interfaces of \(namespace)") {
            try Requests.interfaces(socket: $0)
        }
    }

    /// The namespace's neighbour table (`ip neigh`): its IPv4 (ARP) and IPv6
    /// (neighbour discovery) entries with their state, from one dump.
    /// Retried when the table changes during the dump, then an error (EAGAIN).
    public func neighbours() throws -> [Neighbour] {
        try routeSocket.withSocket(operation: "read the neighbour table of \(namespace)") {
            try Requests.neighbours(socket: $0)
        }
    }

    /// The forwarding databases of the namespace's bridges (`bridge fdb show`):
    /// the addresses each bridge learned or holds behind its ports, and the
    /// entries of devices' own address lists (those have no `bridgeIndex`).
    /// Retried when the database changes during the dump, then an error (EAGAIN).
    public func bridgeForwardingEntries() throws -> [BridgeForwardingEntry] {
        try routeSocket.withSocket(operation: "read the bridge forwarding database of \(namespace)") {
            try Requests.bridgeForwardingEntries(socket: $0)
        }
    }

    /// The chains of the namespace's nf_tables rule set (`nft list chains`,
    /// iptables-nft's chains included), by name. Read-only.
    public func nftablesChains() throws -> [NFTablesChain] {
        try querySocket.withSocket(operation: Requests.nftablesChainsOperation) {
            try Requests.nftablesChains(socket: $0)
        }
    }

    /// Reads a file of the namespace's `/proc/net` (`ip_vs`: present when the
    /// IPVS module is loaded), as read from inside the namespace: its first
    /// 4 KiB, nil when it does not exist. `name` is a plain file name.
    public func procNetFile(_ name: String) throws -> String? {
        let operation = "read /proc/net/\(name) of \(namespace)"
        guard !name.isEmpty, !name.contains("/"), name != "..", name != "." else {
            throw ConntrackError(
                operation: operation, errno: EINVAL, hint: "give a file name of /proc/net, such as ip_vs")
        }
        try querySocket.checkOpen(operation: operation)
        return try heldNamespace.run(operation: operation) { Syscalls.readSmallFile("/proc/net/" + name) }
    }

    /// Reads sysctls of the namespace (`net.bridge.bridge-nf-call-iptables`, ...).
    /// A sysctl that does not exist there is absent from the result.
    public func sysctls(_ names: [String]) throws -> [String: String] {
        let operation = "read sysctls of \(namespace)"
        try querySocket.checkOpen(operation: operation)
        return try heldNamespace.run(operation: operation) {
            var values: [String: String] = [:]
            for name in names {
                let path = "/proc/sys/" + String(name.map { $0 == "." ? "/" : $0 })
                if let text = Syscalls.readSmallFile(path) {
                    values[name] = text.trimmingWhitespace()
                }
            }
            return values
        }
    }
}

/// Serialises use of one socket, and closes it once.
final class NetlinkSocketBox: @unchecked Sendable {
    private let socket: NetlinkSocket
    private let lock = Lock()
    init(_ socket: NetlinkSocket) { self.socket = socket }

    func withSocket<T>(operation: @autoclosure () -> String, _ body: (NetlinkSocket) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard socket.isOpen else { throw ConntrackError.closedHandle(operation()) }
        return try body(socket)
    }

    func checkOpen(operation: @autoclosure () -> String) throws(ConntrackError) {
        lock.lock()
        defer { lock.unlock() }
        guard socket.isOpen else { throw ConntrackError.closedHandle(operation()) }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        socket.close()
    }
}
