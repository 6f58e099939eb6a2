import CNetfilterConntrack
import Foundation

/// Sys holds the plain system calls the bindings make. Every errno becomes a
/// ConntrackError here; EINTR is retried here.
enum Sys {
    /// Reads `clock` (CLOCK_REALTIME, CLOCK_MONOTONIC) in nanoseconds.
    static func clockNanoseconds(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

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

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Reads a small text file such as a sysctl under /proc/sys. Nil when it does not exist.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        return String(decoding: bytes[0..<n], as: UTF8.self)
    }
}

/// Runs work with the calling thread inside another network namespace.
///
/// setns(2) with CLONE_NEWNET moves only the calling thread. The work runs on a
/// thread of its own that enters the namespace, opens what it needs (sockets
/// keep the namespace they were created in), comes back and ends: no other
/// thread of the process ever changes namespace.
enum NamespaceEntry {
    private final class Box<T>: @unchecked Sendable {
        var body: () throws -> T
        var result: Result<T, any Error>?
        init(_ body: @escaping () throws -> T) { self.body = body }
    }

    static func run<T>(in namespace: NetworkNamespace, _ body: @escaping () throws -> T) throws -> T {
        guard let path = namespace.filePath else { return try body() }
        let target = try Sys.valueOrErrno("open \(namespace)", hint: { missingHint(namespace, errno: $0) }) {
            open(path, O_RDONLY | O_CLOEXEC)
        }
        defer { Sys.close(target) }
        let box = Box(body)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { finished.signal() }
            box.result = Result {
                let saved = try Sys.valueOrErrno("open /proc/thread-self/ns/net") {
                    open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
                }
                defer { Sys.close(saved) }
                try Sys.valueOrErrno(
                    "enter \(namespace)",
                    hint: {
                        switch $0 {
                        case EINVAL: "\(path) is not a network namespace file"
                        case EPERM: "entering a namespace needs CAP_SYS_ADMIN (run as root)"
                        default: nil
                        }
                    }
                ) { ctw_setns_net(target) }
                defer { _ = ctw_setns_net(saved) }
                return try box.body()
            }
        }
        thread.start()
        finished.wait()
        guard let result = box.result else {
            throw ConntrackError(operation: "enter \(namespace)", errno: 0, hint: "the worker thread did not run")
        }
        return try result.get()
    }

    private static func missingHint(_ namespace: NetworkNamespace, errno: Int32) -> String? {
        if errno == EACCES || errno == EPERM { return "cannot open it: run as root" }
        guard errno == ENOENT else { return nil }
        switch namespace {
        case .named(let name): return "no namespace named \(name): `ip netns list` shows the names"
        case .path(let path): return "no such file \(path): give /run/netns/NAME or /proc/PID/ns/net"
        case .current: return nil
        }
    }
}

let netfilterBus = ctw_netlink_netfilter()
let routeBus = ctw_netlink_route()
let NETLINK_BROADCAST_ERROR_OPTION = Int32(NETLINK_BROADCAST_ERROR)

/// ReceiverThread runs a long-lived loop on a dedicated thread, away from the
/// Swift concurrency pool, so a blocking poll(2) never starves other tasks.
final class ReceiverThread: @unchecked Sendable {
    private let thread: Thread
    init(_ body: @escaping @Sendable () -> Void) {
        thread = Thread(block: body)
        thread.name = "ctwatch-receiver"
    }
    func start() { thread.start() }

    /// Waits a little longer each time (0.2 ms doubling to 10 ms): a stalled
    /// consumer costs a hundred wake-ups a second, not thousands.
    static func pause(attempt: Int) { usleep(UInt32(min(200 << min(attempt, 6), 10_000))) }
}
