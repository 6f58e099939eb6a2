import CNetfilterConntrack
import Dispatch

/// HeldNamespace is a network namespace opened once, by its file, and held
/// by descriptor for the life of a handle: every socket, sysctl and interface
/// read of the handle happens in that namespace, whatever its name comes to
/// mean later (`ip netns del X; ip netns add X` makes X another namespace; the
/// held descriptor keeps the old one alive and in use).
///
/// Safe to share across threads: the descriptor is closed under a lock, and
/// used under it.
final class HeldNamespace: @unchecked Sendable {
    let namespace: NetworkNamespace
    /// The file's device and inode when it was opened: what `status()` compares the path with.
    let identity: Syscalls.FileIdentity?
    private var descriptor: Int32?
    private let lock = Lock()

    /// Opens and checks the namespace file. The current namespace holds no descriptor.
    init(_ namespace: NetworkNamespace) throws(ConntrackError) {
        self.namespace = namespace
        guard let path = namespace.filePath else {
            identity = nil
            descriptor = nil
            return
        }
        let operation = "open \(namespace)"
        let fd: Int32
        do {
            fd = try Syscalls.openNonBlocking(
                path, operation: operation, hint: { HeldNamespace.openHint(namespace, errno: $0) })
        } catch {
            // /proc/PID/ns/mnt of a process this one may not inspect cannot be
            // opened even by root; its name still says what it is.
            if let kind = HeldNamespace.procNamespaceKind(path), kind != "a network namespace" {
                throw ConntrackError(
                    operation: operation, errno: EINVAL, hint: HeldNamespace.notNetworkHint(path, kind))
            }
            throw error
        }
        do {
            let identity = try Syscalls.identity(of: fd, operation: operation)
            try HeldNamespace.checkIsNetworkNamespace(fd, identity: identity, path: path, operation: operation)
            self.identity = identity
            descriptor = fd
        } catch {
            Syscalls.close(fd)
            throw error
        }
    }

    deinit { close() }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if let descriptor { Syscalls.close(descriptor) }
        descriptor = nil
    }

    /// Runs `body` on a thread inside the held namespace (or on the calling
    /// thread for the current namespace). Throws when the handle was closed.
    func run<T>(operation: @autoclosure () -> String, _ body: @escaping () throws -> T) throws -> T {
        guard namespace.filePath != nil else { return try body() }
        lock.lock()
        defer { lock.unlock() }
        guard let descriptor else { throw ConntrackError.closedHandle(operation()) }
        return try NamespaceEntry.run(in: descriptor, namespace: namespace, body)
    }

    /// What the namespace's path names now, compared with what is held.
    func status() -> NamespaceStatus {
        guard let path = namespace.filePath, let identity else { return .current }
        guard let now = try? Syscalls.identity(ofPath: path, operation: "stat \(path)") else { return .deleted }
        if now.sameFile == identity.sameFile { return .attached }
        // Every namespace file lives on the one nsfs device. Another device is
        // the bare mount point `ip netns del` leaves for a moment between its
        // umount and its unlink: the name is going, not given to another.
        return now.device == identity.device ? .replaced : .deleted
    }

    /// A namespace file lives on nsfs and is of type CLONE_NEWNET. Anything
    /// else is named for what it is, so the user sees the mistake; the errno
    /// is EINVAL, what setns(2) says of such a file.
    private static func checkIsNetworkNamespace(
        _ fd: Int32, identity: Syscalls.FileIdentity, path: String, operation: String
    ) throws(ConntrackError) {
        let advice = "give /run/netns/NAME or /proc/PID/ns/net"
        guard try Syscalls.isNamespaceFile(fd, operation: operation) else {
            let what =
                identity.isFIFO
                ? "a FIFO"
                : identity.isDirectory
                    ? "a directory" : identity.isRegularFile ? "a regular file" : "not a namespace file"
            let text =
                what.hasPrefix("not")
                ? "\(path) is \(what): \(advice)" : "\(path) is \(what), not a network namespace file: \(advice)"
            throw ConntrackError(operation: operation, errno: EINVAL, hint: text)
        }
        let type = try Syscalls.namespaceType(fd, operation: operation)
        guard type == ctw_clone_newnet() else {
            throw ConntrackError(operation: operation, errno: EINVAL, hint: notNetworkHint(path, namespaceKind(type)))
        }
    }

    private static func notNetworkHint(_ path: String, _ kind: String) -> String {
        "\(path) is \(kind), not a network namespace: give /run/netns/NAME or /proc/PID/ns/net"
    }

    /// The kind of namespace a `/proc/PID/ns/NAME` path names, from NAME; nil
    /// for any other path.
    static func procNamespaceKind(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count == 4, parts[0] == "proc", parts[2] == "ns" else { return nil }
        switch parts[3] {
        case "net": return "a network namespace"
        case "mnt": return namespaceKind(ctw_clone_newns())
        case "uts": return namespaceKind(ctw_clone_newuts())
        case "ipc": return namespaceKind(ctw_clone_newipc())
        case "user": return namespaceKind(ctw_clone_newuser())
        case "pid", "pid_for_children": return namespaceKind(ctw_clone_newpid())
        case "cgroup": return namespaceKind(ctw_clone_newcgroup())
        case "time", "time_for_children": return namespaceKind(ctw_clone_newtime())
        default: return nil
        }
    }

    private static func namespaceKind(_ type: Int32) -> String {
        switch type {
        case ctw_clone_newns(): "a mount namespace"
        case ctw_clone_newuts(): "a UTS namespace"
        case ctw_clone_newipc(): "an IPC namespace"
        case ctw_clone_newuser(): "a user namespace"
        case ctw_clone_newpid(): "a PID namespace"
        case ctw_clone_newcgroup(): "a cgroup namespace"
        case ctw_clone_newtime(): "a time namespace"
        default: "another kind of namespace"
        }
    }

    private static func openHint(_ namespace: NetworkNamespace, errno: Int32) -> String? {
        if errno == EACCES || errno == EPERM {
            guard Syscalls.isRoot else { return "cannot open it: run as root" }
            return "denied to root too: this process may not inspect the process that owns it"
        }
        guard errno == ENOENT else { return nil }
        switch namespace {
        case .named(let name): return "no namespace named \(name): `ip netns list` shows the names"
        case .path(let path): return "no such file \(path): give /run/netns/NAME or /proc/PID/ns/net"
        case .current: return nil
        }
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

    static func run<T>(in target: Int32, namespace: NetworkNamespace, _ body: @escaping () throws -> T) throws -> T {
        let box = Box(body)
        let finished = DispatchSemaphore(value: 0)
        let work = {
            defer { finished.signal() }
            box.result = Result {
                let saved = try Syscalls.openNonBlocking(
                    "/proc/thread-self/ns/net", operation: "open /proc/thread-self/ns/net")
                defer { Syscalls.close(saved) }
                try Syscalls.enterNetworkNamespace(
                    target, operation: "enter \(namespace)",
                    hint: { $0 == EPERM ? "entering a namespace needs CAP_SYS_ADMIN (run as root)" : nil })
                // A thread that cannot come back must not run anything else:
                // it ends here either way, so a failed return is harmless.
                defer { try? Syscalls.enterNetworkNamespace(saved, operation: "return from \(namespace)") }
                return try box.body()
            }
        }
        try Syscalls.startDetachedThread(name: "ctwatch-netns", operation: "enter \(namespace)", work)
        finished.wait()
        guard let result = box.result else {
            throw ConntrackError(operation: "enter \(namespace)", errno: 0, hint: "the worker thread did not run")
        }
        return try result.get()
    }
}
