import Foundation

/// StandardStreams checks, before anything else runs, that the process was
/// started with its standard descriptors open.
///
/// A closed descriptor is the lowest free number, so the next file the
/// runtime opens (an epoll instance, a socket) takes it: output meant for a
/// closed stdout would go there and fail as "Invalid argument", far from the
/// cause.
enum StandardStreams {
    /// Whether descriptor 0 was closed at start. It is then held by /dev/null,
    /// so nothing else takes it, and `--pods -` says what happened. Set by
    /// `checkAtStart`, which reads it first.
    static let inputWasClosed: Bool = {
        guard !isOpen(0) else { return false }
        // open returns the lowest free descriptor: 0 here.
        _ = open("/dev/null", O_RDONLY)
        return true
    }()

    /// checkAtStart exits with status 2 when stdout or stderr is closed
    /// (saying so on stderr when it can), and holds a closed stdin with /dev/null.
    static func checkAtStart() {
        let outputOpen = isOpen(1)
        guard isOpen(2) else { exit(ExitStatus.error) }
        guard outputOpen else {
            let message = "ctwatch: error: stdout is closed: give ctwatch somewhere to write (a file, a pipe, or >/dev/null)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            exit(ExitStatus.error)
        }
        _ = inputWasClosed
    }

    /// The C call is `fcntl(fd, F_GETFD)`: EBADF means closed.
    private static func isOpen(_ fd: Int32) -> Bool {
        fcntl(fd, F_GETFD) != -1 || errno != EBADF
    }
}
