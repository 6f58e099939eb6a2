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
        guard !Syscalls.isOpen(0) else { return false }
        // open returns the lowest free descriptor: 0 here.
        _ = try? Syscalls.openNullDevice()
        return true
    }()

    /// checkAtStart exits with status 2 when stdout or stderr is closed
    /// (saying so on stderr when it can), and holds a closed stdin with /dev/null.
    static func checkAtStart() {
        let outputOpen = Syscalls.isOpen(1)
        guard Syscalls.isOpen(2) else { Syscalls.exit(ExitStatus.error) }
        guard outputOpen else {
            Diagnostics.line("error: stdout is closed: give ctwatch somewhere to write (a file, a pipe, or >/dev/null)")
            Syscalls.exit(ExitStatus.error)
        }
        _ = inputWasClosed
    }
}
