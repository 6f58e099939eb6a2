import Glibc

/// Terminal holds the few system calls of the front end: whole writes to a
/// file descriptor, a look at whether its reader left, and SIGPIPE. Signals
/// that end the process are swift-service-lifecycle's (see LongRunning).
enum Terminal {
    enum WriteResult { case written, readerGone, failed(Int32) }

    /// Writes all of `bytes`, retrying short writes and EINTR. EPIPE means the
    /// reader went away (`ctwatch events | head -3`).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> WriteResult {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> WriteResult {
        guard let base = bytes.baseAddress else { return .written }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EPIPE { return .readerGone }
                if code == EAGAIN {
                    // A non-blocking output (inherited from the caller): wait until it takes more.
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                }
                return .failed(code)
            }
            offset += n
        }
        return .written
    }

    /// Whether the reader of `fd` went away (a pipe whose reader closed
    /// reports POLLERR to its writer), seen without writing anything.
    static func readerGone(_ fd: Int32) -> Bool {
        var state = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&state, 1, 0) > 0 && state.revents & Int16(POLLERR | POLLHUP) != 0
    }

    /// SIGPIPE would kill the process mid-line; ignored, EPIPE reaches the sink instead.
    static func ignoreSIGPIPE() { signal(SIGPIPE, SIG_IGN) }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
