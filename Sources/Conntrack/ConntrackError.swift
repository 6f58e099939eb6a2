#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// ConntrackError is the one error the bindings throw: what was being done,
/// the errno the system gave, and a message that tells the user what to do.
public struct ConntrackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Operation names the step that failed (`open netns /run/netns/x`, `dump`, `subscribe`, ...).
    public let operation: String
    /// Errno is the system error number (`EPERM`, `ENOENT`, ...), 0 when none applies.
    public let errno: Int32
    /// Hint is what the user should do about it; empty when nothing more can be said.
    public let hint: String

    public init(operation: String, errno: Int32, hint: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.hint = hint ?? ConntrackError.defaultHint(errno: errno, operation: operation)
    }

    /// Whether the failure was a missing privilege (EPERM or EACCES).
    public var isPermissionDenied: Bool { errno == EPERM || errno == EACCES }

    public var description: String {
        var text = operation
        if errno != 0 { text += ": " + String(cString: strerror(errno)) }
        if !hint.isEmpty { text += ": " + hint }
        return text
    }

    /// The error of every call on a handle after its `close()`.
    static func closedHandle(_ operation: String) -> ConntrackError {
        ConntrackError(operation: operation, errno: EBADF, hint: "the handle was closed")
    }

    static func defaultHint(errno: Int32, operation: String) -> String {
        switch errno {
        case EPERM, EACCES:
            return "needs CAP_NET_ADMIN (run as root)"
        case EPROTONOSUPPORT, EAFNOSUPPORT:
            return "this kernel has no ctnetlink: load nf_conntrack_netlink or build it in"
        case ENOBUFS:
            return "the receive buffer overran: events were lost"
        default:
            return ""
        }
    }
}
