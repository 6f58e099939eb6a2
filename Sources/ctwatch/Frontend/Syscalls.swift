import Glibc

/// Syscalls is the one place the executable calls the system: the standard
/// descriptors at start, SIGPIPE, writes to standard output and standard
/// error, the reads of `--pods` and `--services` documents, and exit.
/// Everything else in the front end goes through here; signals that end the
/// process are swift-service-lifecycle's (see LongRunning).
///
/// Each function has a Swift name and names its C call in its doc comment.
/// errno becomes an `Errno` in one helper, `valueOrErrno`, which also
/// retries EINTR.
enum Syscalls {
    /// Errno is the errno of a failed call; its description is the system's
    /// message (`No such file or directory`).
    struct Errno: Error, Equatable, CustomStringConvertible {
        let code: Int32

        /// The corresponding C function is `strerror`.
        var description: String { String(cString: strerror(code)) }

        /// The reader of a pipe went away (EPIPE): `ctwatch events | head -3`.
        var isBrokenPipe: Bool { code == EPIPE }

        /// A non-blocking descriptor cannot take or give anything now (EAGAIN).
        var wouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }

        /// The descriptor is not open (EBADF).
        var isClosedDescriptor: Bool { code == EBADF }

        /// EISDIR, for a directory refused before it is read.
        static let isADirectory = Errno(code: EISDIR)
    }

    // MARK: errno

    /// Runs `call` until it does not fail with EINTR; a -1 becomes an Errno.
    @discardableResult
    static func valueOrErrno<T: FixedWidthInteger>(_ call: () -> T) throws(Errno) -> T {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code != EINTR { throw Errno(code: code) }
        }
    }

    // MARK: the process

    /// Whether `fd` is open. The corresponding C call is `fcntl(fd, F_GETFD)`.
    static func isOpen(_ fd: Int32) -> Bool {
        do throws(Errno) {
            try valueOrErrno { fcntl(fd, F_GETFD) }
            return true
        } catch {
            return !error.isClosedDescriptor
        }
    }

    /// Opens /dev/null read-only on the lowest free descriptor. The
    /// corresponding C function is `open`.
    @discardableResult
    static func openNullDevice() throws(Errno) -> Int32 {
        try valueOrErrno { open("/dev/null", O_RDONLY) }
    }

    /// Makes a write to a pipe whose reader left fail with EPIPE instead of
    /// killing the process mid-line. The corresponding C call is
    /// `signal(SIGPIPE, SIG_IGN)`.
    static func ignoreBrokenPipeSignal() { _ = signal(SIGPIPE, SIG_IGN) }

    /// Ends the process with `status`. The corresponding C function is `exit`.
    static func exit(_ status: Int32) -> Never { Glibc.exit(status) }

    // MARK: writes

    /// Writes all of `bytes` to `fd`, retrying short writes; a non-blocking
    /// descriptor (inherited from the caller) is waited on until it takes
    /// more. The corresponding C functions are `write` and `poll`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            do throws(Errno) {
                offset += try valueOrErrno { write(fd, base + offset, bytes.count - offset) }
            } catch  where error.wouldBlock {
                waitUntilReady(fd, for: POLLOUT)
            }
        }
    }

    /// `writeAll(_:_:)` for an array of bytes.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        // withUnsafeBytes rethrows untyped: the Errno travels in a Result.
        try bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try writeAll(fd, buffer) } }.get()
    }

    /// Whether the reader of `fd` went away (a pipe whose reader closed
    /// reports POLLERR to its writer), seen without writing anything. The
    /// corresponding C call is `poll` with a zero timeout.
    static func readerGone(_ fd: Int32) -> Bool {
        var state = pollfd(fd: fd, events: 0, revents: 0)
        let ready = (try? valueOrErrno { poll(&state, 1, 0) }) ?? 0
        return ready > 0 && state.revents & Int16(POLLERR | POLLHUP) != 0
    }

    /// Blocks until `fd` is ready for `events` (POLLIN, POLLOUT). The
    /// corresponding C function is `poll`, without a timeout.
    private static func waitUntilReady(_ fd: Int32, for events: Int32) {
        var state = pollfd(fd: fd, events: Int16(events), revents: 0)
        _ = try? valueOrErrno { poll(&state, 1, -1) }
    }

    // MARK: reads

    /// FileKind is what an open file is, from the type bits of its mode.
    enum FileKind: Equatable {
        case regular, directory, fifo, characterDevice, blockDevice, socket, other
    }

    /// FileStatus is what ctwatch needs to know of an open file before reading it.
    struct FileStatus: Equatable {
        var kind: FileKind
        /// The size in bytes; meaningful for a regular file.
        var size: Int
        /// The file system the file lives on (st_dev).
        var device: UInt64
    }

    /// The status of the open file `fd`. The corresponding C function is `fstat`.
    static func status(of fd: Int32) throws(Errno) -> FileStatus {
        var info = stat()
        try valueOrErrno { fstat(fd, &info) }
        let kind: FileKind =
            switch info.st_mode & S_IFMT {
            case S_IFREG: .regular
            case S_IFDIR: .directory
            case S_IFIFO: .fifo
            case S_IFCHR: .characterDevice
            case S_IFBLK: .blockDevice
            case S_IFSOCK: .socket
            default: .other
            }
        return FileStatus(kind: kind, size: Int(info.st_size), device: UInt64(info.st_dev))
    }

    /// Opens `path` read-only without blocking, so a FIFO cannot hang the
    /// caller. The corresponding C call is
    /// `open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)`.
    static func openNonBlocking(_ path: String) throws(Errno) -> Int32 {
        try valueOrErrno { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
    }

    /// Makes reads of `fd` block again. The corresponding C calls are
    /// `fcntl(fd, F_GETFL)` and `fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)`.
    static func setBlocking(_ fd: Int32) throws(Errno) {
        let flags = try valueOrErrno { fcntl(fd, F_GETFL) }
        try valueOrErrno { fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
    }

    /// The device of pipefs, the internal file system of every pipe without
    /// a name, learnt from a pipe made and closed here; nil if none can be
    /// made. The corresponding C functions are `pipe`, `fstat` and `close`.
    static func anonymousPipeDevice() -> UInt64? {
        var ends: [Int32] = [-1, -1]
        guard (try? valueOrErrno({ pipe(&ends) })) != nil else { return nil }
        defer { ends.forEach(close) }
        return try? status(of: ends[0]).device
    }

    /// Reads at most `count` bytes of `fd` into the start of `buffer` and
    /// returns how many came (0 at end of file); a non-blocking descriptor
    /// (standard input inherited so) is waited on until it has some. The
    /// corresponding C functions are `read` and `poll`.
    static func read(_ fd: Int32, into buffer: inout [UInt8], count: Int) throws(Errno) -> Int {
        precondition(count <= buffer.count)
        while true {
            do throws(Errno) {
                return try buffer.withUnsafeMutableBytes { bytes in
                    Result { () throws(Errno) in try valueOrErrno { Glibc.read(fd, bytes.baseAddress, count) } }
                }.get()
            } catch  where error.wouldBlock {
                waitUntilReady(fd, for: POLLIN)
            }
        }
    }

    /// Closes `fd`, once. The corresponding C function is `close`; its EINTR
    /// is not retried (Linux has closed the descriptor by then).
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// The host name (`gethostname`), as the kernel has it: a node's name by default.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The home directory of the effective user from the password database
    /// (`getpwuid`), for when HOME is unset; "/" when it has none.
    static func homeDirectory() -> String {
        guard let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir else { return "/" }
        let path = String(cString: directory)
        return path.isEmpty ? "/" : path
    }
}
