import CNetfilterConntrack
import Glibc

/// Syscalls is the one place the bindings call the system: sockets, socket
/// options, sends and receives, namespace files, setns, sysctl files and the
/// kernel event filter. Everything else in the module goes through here.
///
/// Each function has a Swift name and names its C call in its doc comment.
/// errno becomes a ConntrackError in one helper, `valueOrErrno`, which also
/// retries EINTR.
enum Syscalls {
    // MARK: errno

    /// Runs `call` until it does not fail with EINTR; a -1 becomes a ConntrackError.
    @discardableResult
    static func valueOrErrno<T: FixedWidthInteger>(
        _ operation: @autoclosure () -> String, hint: (Int32) -> String? = { _ in nil }, _ call: () -> T
    ) throws(ConntrackError) -> T {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw ConntrackError(operation: operation(), errno: code, hint: hint(code))
        }
    }

    // MARK: clocks

    /// Reads `clock` (CLOCK_REALTIME, CLOCK_MONOTONIC) in nanoseconds.
    /// The corresponding C function is `clock_gettime`.
    static func clockNanoseconds(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Whether the process runs as root (effective user id 0), for advice
    /// only: privileges are probed, never guessed from the user id. The
    /// corresponding C function is `geteuid`.
    static var isRoot: Bool { geteuid() == 0 }

    // MARK: threads

    /// The body of a thread being started, kept alive until it runs.
    private final class ThreadBody {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread named `name` (the kernel keeps 15
    /// bytes). The corresponding C functions are `pthread_create` and
    /// `prctl(PR_SET_NAME)`; a refusal (EAGAIN) is a ConntrackError.
    static func startDetachedThread(
        name: String, operation: @autoclosure () -> String, _ body: @escaping () -> Void
    ) throws(ConntrackError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(ThreadBody(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let code = pthread_create(
            &thread, &attributes,
            { context in
                let box = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
                _ = ctw_set_thread_name(box.name)
                box.body()
                return nil
            }, context)
        guard code == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw ConntrackError(operation: operation(), errno: code, hint: nil)
        }
    }

    // MARK: files

    /// Opens `path` read-only without blocking, so a FIFO or a device cannot
    /// hang the caller. The corresponding C function is `open`.
    static func openNonBlocking(
        _ path: String, operation: @autoclosure () -> String, hint: (Int32) -> String? = { _ in nil }
    ) throws(ConntrackError) -> Int32 {
        try valueOrErrno(operation(), hint: hint) { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
    }

    /// Closes `fd`, once. The corresponding C function is `close`; its EINTR
    /// is not retried (Linux has closed the descriptor by then).
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// FileIdentity is what tells two files apart: device and inode, and the file type bits.
    struct FileIdentity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var mode: UInt32

        // S_IFMT and friends are imported twice (Glibc and the C module): spelled out.
        private static let typeMask: UInt32 = 0o170000
        var isFIFO: Bool { mode & Self.typeMask == 0o010000 }
        var isDirectory: Bool { mode & Self.typeMask == 0o040000 }
        var isRegularFile: Bool { mode & Self.typeMask == 0o100000 }
        var sameFile: (UInt64, UInt64) { (device, inode) }
    }

    /// The identity of an open file. The corresponding C function is `fstat`.
    static func identity(of fd: Int32, operation: @autoclosure () -> String) throws(ConntrackError) -> FileIdentity {
        var info = stat()
        try valueOrErrno(operation()) { fstat(fd, &info) }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), mode: UInt32(info.st_mode))
    }

    /// The identity of the file `path` names now (following symlinks). The
    /// corresponding C function is `stat`.
    static func identity(ofPath path: String, operation: @autoclosure () -> String) throws(ConntrackError)
        -> FileIdentity
    {
        var info = stat()
        try valueOrErrno(operation()) { stat(path, &info) }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), mode: UInt32(info.st_mode))
    }

    /// Whether `fd` lives on nsfs, the file system of namespace files. The
    /// corresponding C function is `fstatfs` (f_type == NSFS_MAGIC).
    static func isNamespaceFile(_ fd: Int32, operation: @autoclosure () -> String) throws(ConntrackError) -> Bool {
        var info = statfs()
        try valueOrErrno(operation()) { fstatfs(fd, &info) }
        return Int(info.f_type) == ctw_nsfs_magic()
    }

    /// The kind of namespace of an nsfs file, as its CLONE_NEW* flag. The
    /// corresponding C call is `ioctl(fd, NS_GET_NSTYPE)`.
    static func namespaceType(_ fd: Int32, operation: @autoclosure () -> String) throws(ConntrackError) -> Int32 {
        try valueOrErrno(operation()) { ctw_ns_get_nstype(fd) }
    }

    /// Moves the calling thread into the network namespace `fd` holds. The
    /// corresponding C function is `setns(fd, CLONE_NEWNET)`.
    static func enterNetworkNamespace(
        _ fd: Int32, operation: @autoclosure () -> String, hint: (Int32) -> String? = { _ in nil }
    ) throws(ConntrackError) {
        try valueOrErrno(operation(), hint: hint) { ctw_setns_net(fd) }
    }

    /// Reads a small text file such as a sysctl under /proc/sys, in the
    /// network namespace of the calling thread. Nil when it does not exist.
    /// The corresponding C functions are `open` and `read`.
    static func readSmallFile(_ path: String) -> String? {
        guard let fd = try? valueOrErrno("open \(path)", { open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = try? bytes.withUnsafeMutableBytes { buffer throws(ConntrackError) in
            try valueOrErrno("read \(path)") { read(fd, buffer.baseAddress, buffer.count) }
        }
        guard let count else { return nil }
        return String(decoding: bytes[0..<count], as: UTF8.self)
    }

    // MARK: netlink sockets

    /// Opens a netlink socket on `bus` (NETLINK_NETFILTER, NETLINK_ROUTE).
    /// The corresponding C call is `socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus)`.
    static func openNetlinkSocket(bus: Int32, operation: @autoclosure () -> String) throws(ConntrackError) -> Int32 {
        let hint: (Int32) -> String? = {
            $0 == EPROTONOSUPPORT ? "this kernel has no nfnetlink/ctnetlink: load nf_conntrack_netlink" : nil
        }
        return try valueOrErrno(operation(), hint: hint) {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), bus)
        }
    }

    /// Binds a netlink socket to `groups` with a port id the kernel picks,
    /// and returns that port id. The corresponding C functions are `bind`
    /// and `getsockname`.
    static func bindNetlinkSocket(_ fd: Int32, groups: UInt32, operation: @autoclosure () -> String)
        throws(ConntrackError) -> UInt32
    {
        try valueOrErrno(operation()) { ctw_bind_netlink(fd, groups) }
        return UInt32(truncatingIfNeeded: try valueOrErrno(operation()) { ctw_netlink_port_id(fd) })
    }

    /// Sets an Int32 socket option. The corresponding C function is `setsockopt`.
    static func setSocketOption(
        _ fd: Int32, level: Int32, _ option: Int32, _ value: Int32, operation: @autoclosure () -> String
    ) throws(ConntrackError) {
        var value = value
        try valueOrErrno(operation()) { setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Reads an Int32 socket option. The corresponding C function is `getsockopt`.
    static func socketOption(_ fd: Int32, level: Int32, _ option: Int32, operation: @autoclosure () -> String)
        throws(ConntrackError) -> Int32
    {
        var value: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        try valueOrErrno(operation()) { getsockopt(fd, level, option, &value, &size) }
        return value
    }

    /// Sets SO_RCVTIMEO. The corresponding C function is `setsockopt`.
    static func setReceiveTimeout(_ fd: Int32, microseconds: Int, operation: @autoclosure () -> String)
        throws(ConntrackError)
    {
        var value = timeval(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
        try valueOrErrno(operation()) {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// The socket's drop counter: messages the kernel could not queue on it
    /// (for netlink, one per message lost to an overrun, where ENOBUFS is
    /// reported once per episode). The corresponding C call is
    /// `getsockopt(SOL_SOCKET, SO_MEMINFO)`, index SK_MEMINFO_DROPS.
    static func socketDrops(_ fd: Int32, operation: @autoclosure () -> String) throws(ConntrackError) -> UInt32 {
        var values = [UInt32](repeating: 0, count: Int(ctw_sk_meminfo_vars()))
        var size = socklen_t(values.count * MemoryLayout<UInt32>.size)
        try valueOrErrno(operation()) {
            values.withUnsafeMutableBytes { getsockopt(fd, SOL_SOCKET, ctw_so_meminfo(), $0.baseAddress, &size) }
        }
        return values[Int(ctw_sk_meminfo_drops())]
    }

    /// Sends one request to the kernel. The corresponding C function is `sendto`.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, operation: @autoclosure () -> String)
        throws(ConntrackError)
    {
        try valueOrErrno(operation()) { ctw_send_to_kernel(fd, bytes.baseAddress, bytes.count) }
    }

    /// One receive; returns the byte count, or throws (ENOBUFS on overrun,
    /// EAGAIN on timeout). The corresponding C function is `recv`.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, operation: @autoclosure () -> String)
        throws(ConntrackError) -> Int
    {
        try valueOrErrno(operation()) { recv(fd, buffer.baseAddress, buffer.count, 0) }
    }

    /// Receives up to `count` messages into `headers` with `flags`
    /// (CTW_MSG_WAITFORONE, MSG_DONTWAIT); returns how many arrived. Throws
    /// EAGAIN when none did, ENOBUFS on overrun. The corresponding C function
    /// is `recvmmsg`.
    static func receiveMessages(
        _ fd: Int32, _ headers: UnsafeMutablePointer<ctw_mmsghdr>, count: Int, flags: Int32,
        operation: @autoclosure () -> String
    ) throws(ConntrackError) -> Int {
        Int(try valueOrErrno(operation()) { ctw_recvmmsg(fd, headers, UInt32(count), flags) })
    }

    // MARK: kernel filters

    /// Runs `body` with a kernel-side dump filter for the mark, the status
    /// bits and the family, or nil when there is neither a mark nor a status
    /// to filter on. The corresponding C functions are
    /// `nfct_filter_dump_create`, `nfct_filter_dump_set_attr` and
    /// `nfct_filter_dump_destroy`.
    static func withDumpFilter<T>(
        mark: (value: UInt32, mask: UInt32)?, status: (value: UInt32, mask: UInt32)?, family: UInt8?,
        _ body: (OpaquePointer?) throws -> T
    ) rethrows -> T {
        guard mark != nil || status != nil, let filter = nfct_filter_dump_create() else { return try body(nil) }
        defer { nfct_filter_dump_destroy(filter) }
        if let mark {
            var value = nfct_filter_dump_mark(val: mark.value, mask: mark.mask)
            nfct_filter_dump_set_attr(filter, NFCT_FILTER_DUMP_MARK, &value)
        }
        if let status {
            var value = nfct_filter_dump_mark(val: status.value, mask: status.mask)
            nfct_filter_dump_set_attr(filter, NFCT_FILTER_DUMP_STATUS, &value)
        }
        if let family {
            nfct_filter_dump_set_attr_u8(filter, NFCT_FILTER_DUMP_L3NUM, family)
        }
        return try body(filter)
    }

    /// EventFilterProgram is what the kernel-side event filter can express.
    struct EventFilterProgram {
        var transports: [UInt8] = []
        var ipv4Sources: [(address: UInt32, mask: UInt32)] = []
        var ipv4Destinations: [(address: UInt32, mask: UInt32)] = []
        var mark: (value: UInt32, mask: UInt32)?

        var isEmpty: Bool { transports.isEmpty && ipv4Sources.isEmpty && ipv4Destinations.isEmpty && mark == nil }
    }

    /// Builds `program` as a BPF filter and attaches it to the socket. The
    /// corresponding C functions are `nfct_filter_create`,
    /// `nfct_filter_add_attr` and `nfct_filter_attach` (setsockopt
    /// SO_ATTACH_FILTER underneath).
    static func attachEventFilter(_ program: EventFilterProgram, to fd: Int32, operation: @autoclosure () -> String)
        throws(ConntrackError)
    {
        guard !program.isEmpty else { return }
        guard let filter = nfct_filter_create() else { throw ConntrackError(operation: operation(), errno: ENOMEM) }
        defer { nfct_filter_destroy(filter) }
        for transport in program.transports {
            nfct_filter_add_attr_u32(filter, NFCT_FILTER_L4PROTO, UInt32(transport))
        }
        if let mark = program.mark {
            var value = nfct_filter_dump_mark(val: mark.value, mask: mark.mask)
            nfct_filter_add_attr(filter, NFCT_FILTER_MARK, &value)
        }
        for prefix in program.ipv4Sources {
            var value = nfct_filter_ipv4(addr: prefix.address, mask: prefix.mask)
            nfct_filter_add_attr(filter, NFCT_FILTER_SRC_IPV4, &value)
        }
        for prefix in program.ipv4Destinations {
            var value = nfct_filter_ipv4(addr: prefix.address, mask: prefix.mask)
            nfct_filter_add_attr(filter, NFCT_FILTER_DST_IPV4, &value)
        }
        try valueOrErrno(operation()) { nfct_filter_attach(fd, filter) }
    }
}

let netfilterBus = ctw_netlink_netfilter()
let routeBus = ctw_netlink_route()
let NETLINK_BROADCAST_ERROR_OPTION = Int32(NETLINK_BROADCAST_ERROR)
