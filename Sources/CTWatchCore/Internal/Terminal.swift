import Foundation

/// The few system calls of the command side: whole-line writes to a file
/// descriptor and signal handling. Nothing else in CTWatchCore calls C.
enum Terminal {
    enum WriteResult { case written, readerGone, failed(Int32) }

    /// Writes all of `bytes`, retrying short writes and EINTR. EPIPE means the
    /// reader went away (`ctwatch events | head -3`).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> WriteResult {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> WriteResult {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
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

    /// SIGPIPE would kill the process mid-line; ignore it so EPIPE arrives as an error instead.
    static func ignoreSIGPIPE() { signal(SIGPIPE, SIG_IGN) }

    /// Calls `handler` once on SIGINT or SIGTERM (on a dispatch queue), instead of dying.
    static func onInterrupt(_ handler: @escaping @Sendable (Int32) -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
