import CNetfilterConntrack

/// ReplyMatch says which messages answer a request: libmnl's rule
/// (`mnl_cb_run`), where 0 on either side matches anything. Events carry
/// sequence 0 and port id 0, so `any` takes every message.
struct ReplyMatch: Sendable, Hashable {
    var sequence: UInt32
    var portID: UInt32
    static let any = ReplyMatch(sequence: 0, portID: 0)
}

/// NetlinkSocket owns one netlink socket and closes it once.
///
/// Not thread-safe: one owner uses it at a time (the query socket behind a
/// lock, an event socket on its receiving thread), and that owner calls
/// `close()`. A socket dropped while still open is a leak in the owner: debug
/// builds stop there, as swift-nio's BaseSocket does.
final class NetlinkSocket: @unchecked Sendable {
    private var descriptor: Int32
    /// The port id the kernel assigned at bind: replies to this socket carry it.
    let portID: UInt32
    private var sequence: UInt32 = UInt32(truncatingIfNeeded: WallTime.now().nanoseconds / 1_000_000)

    /// Opens a socket on `bus` (NETLINK_NETFILTER or NETLINK_ROUTE) and binds it to `groups`.
    init(bus: Int32, groups: UInt32 = 0, operation: String) throws(ConntrackError) {
        let fd = try Syscalls.openNetlinkSocket(bus: bus, operation: operation)
        do {
            portID = try Syscalls.bindNetlinkSocket(fd, groups: groups, operation: operation)
        } catch {
            Syscalls.close(fd)
            throw error
        }
        descriptor = fd
    }

    deinit {
        assert(descriptor < 0, "NetlinkSocket \(descriptor) was dropped without close()")
        if descriptor >= 0 { Syscalls.close(descriptor) }
    }

    var isOpen: Bool { descriptor >= 0 }

    /// Closes the socket; later calls fail with EBADF. Closing twice is harmless.
    func close() {
        guard descriptor >= 0 else { return }
        Syscalls.close(descriptor)
        descriptor = -1
    }

    /// Calls `body` with the descriptor, which must not outlive the call.
    func withUnsafeHandle<T>(
        operation: @autoclosure () -> String, _ body: (Int32) throws(ConntrackError) -> T
    ) throws(ConntrackError) -> T {
        guard descriptor >= 0 else {
            throw ConntrackError(operation: operation(), errno: EBADF, hint: "the netlink socket was closed")
        }
        return try body(descriptor)
    }

    func nextSequence() -> UInt32 {
        sequence &+= 1
        if sequence == 0 { sequence = 1 }  // 0 would match any reply
        return sequence
    }

    /// Sets the receive buffer with SO_RCVBUFFORCE (ignores net.core.rmem_max, needs
    /// CAP_NET_ADMIN), falling back to SO_RCVBUF. Returns the size the kernel granted
    /// and whether the fallback was used.
    func setReceiveBuffer(_ bytes: Int) -> (granted: Int, forced: Bool) {
        let value = Int32(clamping: bytes)
        let operation = "set the receive buffer"
        let forced =
            (try? withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
                try Syscalls.setSocketOption(fd, level: SOL_SOCKET, SO_RCVBUFFORCE, value, operation: operation)
            }) != nil
        if !forced {
            _ = try? withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
                try Syscalls.setSocketOption(fd, level: SOL_SOCKET, SO_RCVBUF, value, operation: operation)
            }
        }
        return (receiveBufferSize, forced)
    }

    /// The receive buffer the kernel grants, in the unit it was asked in:
    /// getsockopt(SO_RCVBUF) reports twice that, the doubling being the
    /// kernel's allowance for its own bookkeeping.
    var receiveBufferSize: Int {
        let operation = "read the receive buffer size"
        let value = try? withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.socketOption(fd, level: SOL_SOCKET, SO_RCVBUF, operation: operation)
        }
        return Int(value ?? 0) / 2
    }

    /// The socket's drop counter (SO_MEMINFO, SK_MEMINFO_DROPS). It counts
    /// messages, and wraps at 2^32.
    func drops() throws(ConntrackError) -> UInt32 {
        let operation = "read the socket's drop count"
        return try withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.socketDrops(fd, operation: operation)
        }
    }

    /// Sets SO_RCVTIMEO: a blocking receive fails with EAGAIN after this long.
    func setReceiveTimeout(microseconds: Int) throws(ConntrackError) {
        let operation = "set the receive timeout"
        try withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.setReceiveTimeout(fd, microseconds: microseconds, operation: operation)
        }
    }

    /// Sets a SOL_NETLINK boolean option (NETLINK_BROADCAST_ERROR).
    func setNetlinkOption(_ option: Int32, _ on: Bool, operation: String) throws(ConntrackError) {
        try withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.setSocketOption(fd, level: SOL_NETLINK, option, on ? 1 : 0, operation: operation)
        }
    }

    /// Attaches the kernel-side event filter.
    func attach(_ program: Syscalls.EventFilterProgram, operation: String) throws(ConntrackError) {
        try withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.attachEventFilter(program, to: fd, operation: operation)
        }
    }

    func send(_ bytes: UnsafeRawBufferPointer, operation: String) throws(ConntrackError) {
        try withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.send(fd, bytes, operation: operation)
        }
    }

    /// One receive; returns the byte count, or throws (ENOBUFS on overrun).
    func receive(into buffer: UnsafeMutableRawBufferPointer, operation: String) throws(ConntrackError) -> Int {
        try withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.receive(fd, into: buffer, operation: operation)
        }
    }

    /// recvmmsg into `headers`: how many messages arrived.
    func receiveMessages(
        _ headers: UnsafeMutablePointer<ctw_mmsghdr>, count: Int, flags: Int32, operation: String
    ) throws(ConntrackError) -> Int {
        try withUnsafeHandle(operation: operation) { fd throws(ConntrackError) in
            try Syscalls.receiveMessages(fd, headers, count: count, flags: flags, operation: operation)
        }
    }

    /// Sends a request built by `build` (given the buffer and the request's
    /// sequence number) and hands every received chunk to `consume`, with
    /// what a reply must carry to be ours, until it reports the end (`true`).
    func transact(
        operation: String, bufferSize: Int = 1 << 17,
        build: (UnsafeMutableRawPointer, UInt32) -> Int,
        consume: (UnsafeRawBufferPointer, ReplyMatch) throws -> Bool
    ) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        let sequence = nextSequence()
        let match = ReplyMatch(sequence: sequence, portID: portID)
        let length = build(buffer.baseAddress!, sequence)
        try send(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), operation: operation)
        while true {
            let n = try receive(into: buffer, operation: operation)
            if n == 0 { return }
            if try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), match) { return }
        }
    }
}
