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
                return .failed(code)
            }
            offset += n
        }
        return .written
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

/// Clocks for the command side.
enum Sys {
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
