import Foundation

/// Conntrack is a handle on the connection tracking table of one network
/// namespace. It is read-only: nothing here writes to the table.
///
/// The sockets are created inside the namespace (on a short-lived thread that
/// enters it and comes back), so the rest of the process never moves. A
/// Conntrack is safe to share across threads; its requests are serialised.
public final class Conntrack: Sendable {
    public let namespace: NetworkNamespace
    private let querySocket: NetlinkSocketBox

    /// Opens a handle in `namespace`. Fails with a ConntrackError that says
    /// what to do: no privilege, no such namespace, no ctnetlink.
    public init(namespace: NetworkNamespace = .current) throws {
        self.namespace = namespace
        let socket = try NamespaceEntry.run(in: namespace) {
            try NetlinkSocket(bus: netfilterBus, operation: "open a ctnetlink socket in \(namespace)")
        }
        querySocket = NetlinkSocketBox(socket)
        // Counting entries is the cheapest request that needs CAP_NET_ADMIN:
        // it turns "no privilege" into an error now rather than mid-command.
        _ = try statistics()
    }

    /// Dumps the table, calling `body` with each batch of entries that pass `filter`.
    /// Both families unless the filter names one. The kernel walks its hash in
    /// chunks while entries come and go: a dump is not a snapshot.
    public func dump(filter: FlowFilter = FlowFilter(), batchSize: Int = 1024, body: ([Flow]) throws -> Void) throws {
        try querySocket.withSocket { socket in
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
    public func dumpBatches(filter: FlowFilter = FlowFilter(), batchSize: Int = 1024) -> AsyncThrowingStream<[Flow], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Flow].self)
        let thread = ReceiverThread { [self] in
            do {
                try dump(filter: filter, batchSize: batchSize) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.start()
        return stream
    }

    /// Which dumps to ask for: one, of the filter's family or AF_UNSPEC for both.
    /// (The kernel rejects AF_UNSPEC only for CTA_FILTER tuple filters, which
    /// ctwatch does not send; mark and status filters work across families,
    /// and every dump walks the whole table, so one dump is half the cost of two.)
    static func dumpFamilies(for filter: FlowFilter) -> [IPAddress.Family?] {
        [filter.family]
    }

    /// Per-CPU statistics and the entry count.
    public func statistics() throws -> TableStatistics {
        try querySocket.withSocket { try Requests.statistics(socket: $0) }
    }

    /// Subscribes to events. The socket joins only the groups `options.types` names.
    public func subscribe(_ options: EventSubscription.Options = .init()) throws -> EventSubscription {
        let socket = try NamespaceEntry.run(in: namespace) {
            try NetlinkSocket(bus: netfilterBus, groups: options.types.rawValue,
                              operation: "subscribe to conntrack events in \(self.namespace)")
        }
        return try EventSubscription(socket: socket, options: options)
    }

    /// The interfaces of the namespace with their kind (`bridge`, `veth`, ...) and addresses.
    public func interfaces() throws -> [NetworkInterface] {
        let socket = try NamespaceEntry.run(in: namespace) {
            try NetlinkSocket(bus: routeBus, operation: "open an rtnetlink socket in \(self.namespace)")
        }
        return try Requests.interfaces(socket: socket)
    }

    /// Reads sysctls of the namespace (`net.bridge.bridge-nf-call-iptables`, ...).
    /// A sysctl that does not exist there is absent from the result.
    public func sysctls(_ names: [String]) throws -> [String: String] {
        try NamespaceEntry.run(in: namespace) {
            var values: [String: String] = [:]
            for name in names {
                let path = "/proc/sys/" + name.replacingOccurrences(of: ".", with: "/")
                if let text = Sys.readSmallFile(path) {
                    values[name] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            return values
        }
    }
}

/// Serialises use of one socket.
final class NetlinkSocketBox: @unchecked Sendable {
    private let socket: NetlinkSocket
    private let lock = NSLock()
    init(_ socket: NetlinkSocket) { self.socket = socket }
    func withSocket<T>(_ body: (NetlinkSocket) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(socket)
    }
}
