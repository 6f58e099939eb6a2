import CNetfilterConntrack
import Foundation

/// NetlinkSocket owns one libmnl socket and closes it once. Not thread-safe:
/// one owner reads it at a time.
final class NetlinkSocket: @unchecked Sendable {
    private let handle: OpaquePointer
    let fd: Int32
    private var sequence: UInt32 = UInt32(truncatingIfNeeded: WallTime.now().nanoseconds / 1_000_000)

    /// Opens a socket on `bus` (NETLINK_NETFILTER or NETLINK_ROUTE) and binds it to `groups`.
    init(bus: Int32, groups: UInt32 = 0, operation: String) throws(ConntrackError) {
        guard let handle = mnl_socket_open2(bus, Int32(SOCK_CLOEXEC.rawValue)) else {
            let code = errno
            throw ConntrackError(
                operation: operation, errno: code,
                hint: code == EPROTONOSUPPORT ? "this kernel has no nfnetlink/ctnetlink: load nf_conntrack_netlink" : nil)
        }
        if mnl_socket_bind(handle, groups, pid_t(MNL_SOCKET_AUTOPID)) < 0 {
            let code = errno
            mnl_socket_close(handle)
            throw ConntrackError(operation: operation, errno: code)
        }
        self.handle = handle
        self.fd = mnl_socket_get_fd(handle)
    }

    deinit { mnl_socket_close(handle) }

    func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    /// Sets the receive buffer with SO_RCVBUFFORCE (ignores net.core.rmem_max, needs
    /// CAP_NET_ADMIN), falling back to SO_RCVBUF. Returns the size the kernel granted
    /// and whether the fallback was used.
    func setReceiveBuffer(_ bytes: Int) -> (granted: Int, forced: Bool) {
        var value = Int32(clamping: bytes)
        let size = socklen_t(MemoryLayout<Int32>.size)
        var forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &value, size) == 0
        if !forced {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, size)
            forced = false
        }
        return (receiveBufferSize, forced)
    }

    /// The receive buffer the kernel grants, in the unit it was asked in:
    /// getsockopt(SO_RCVBUF) reports twice that, the doubling being the
    /// kernel's allowance for its own bookkeeping.
    var receiveBufferSize: Int {
        var value: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, &size)
        return Int(value) / 2
    }

    /// Sets SO_RCVTIMEO: a blocking receive fails with EAGAIN after this long.
    func setReceiveTimeout(microseconds: Int) throws(ConntrackError) {
        var value = timeval(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
        try Sys.valueOrErrno("set the receive timeout") {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// Sets a SOL_NETLINK boolean option (NETLINK_BROADCAST_ERROR).
    func setNetlinkOption(_ option: Int32, _ on: Bool, operation: String) throws(ConntrackError) {
        var value: Int32 = on ? 1 : 0
        try Sys.valueOrErrno(operation) {
            mnl_socket_setsockopt(handle, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    func send(_ bytes: UnsafeRawBufferPointer, operation: String) throws(ConntrackError) {
        try Sys.valueOrErrno(operation) { mnl_socket_sendto(handle, bytes.baseAddress, bytes.count) }
    }

    /// One recv(2); returns the byte count, or throws (ENOBUFS on overrun).
    func receive(into buffer: UnsafeMutableRawBufferPointer, operation: String) throws(ConntrackError) -> Int {
        try Sys.valueOrErrno(operation) { recv(fd, buffer.baseAddress, buffer.count, 0) }
    }

    /// Sends a request built by `build` into a fresh buffer and hands every
    /// received chunk to `consume` until it reports the end (`true`).
    func transact(
        operation: String, bufferSize: Int = 1 << 17,
        build: (UnsafeMutableRawPointer, UInt32) -> Int,
        consume: (UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        let length = build(buffer.baseAddress!, nextSequence())
        try send(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), operation: operation)
        while true {
            let n = try receive(into: buffer, operation: operation)
            if n == 0 { return }
            if try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { return }
        }
    }
}
