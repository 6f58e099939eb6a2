import Foundation

/// DocumentFile reads a Kubernetes document from a path or standard input
/// without waiting for a writer that may never come and without reading more
/// than a limit.
///
/// A path must be a regular file or a pipe the shell already holds open
/// (`--pods <(kubectl get pods -A -o json)` hands over /dev/fd/N). A named
/// FIFO is refused: opening it blocks until some process writes, which may be
/// never. Standard input is read as it is, whatever it is, up to the limit.
///
/// These are the only system calls of CTWatchCore's Kubernetes readers.
enum DocumentFile {
    enum Failure: Error, Equatable {
        /// The system's message for the errno (`No such file or directory`).
        case system(String)
        /// Not a file ctwatch reads from a path: `a named pipe (FIFO)`, `a character device`.
        case notAFile(String)
        /// More than `limit` bytes.
        case tooLarge
    }

    /// check opens `path` the way `read(path:limit:)` does, and closes it.
    static func check(path: String, limit: Int) throws(Failure) {
        let (fd, _) = try open(path, limit: limit)
        _ = Glibc.close(fd)
    }

    /// read returns the bytes of the file at `path`.
    static func read(path: String, limit: Int) throws(Failure) -> Data {
        let (fd, size) = try open(path, limit: limit)
        defer { _ = Glibc.close(fd) }
        return try readAll(fd, limit: limit, expected: size)
    }

    /// readStandardInput returns all of standard input.
    static func readStandardInput(limit: Int) throws(Failure) -> Data {
        var status = stat()
        guard fstat(0, &status) == 0 else { throw .system(message(errno)) }
        let isFile = status.st_mode & S_IFMT == S_IFREG
        if isFile && Int(status.st_size) > limit { throw .tooLarge }
        return try readAll(0, limit: limit, expected: isFile ? Int(status.st_size) : nil)
    }

    /// Opens `path` without blocking, checks what it is, and gives the
    /// descriptor back blocking; the size is known for a regular file.
    private static func open(_ path: String, limit: Int) throws(Failure) -> (Int32, Int?) {
        var fd: Int32
        repeat { fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .system(message(errno)) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw .system(message(code))
        }
        let kind = status.st_mode & S_IFMT
        var size: Int?
        var failure: Failure?
        switch kind {
        case S_IFREG:
            size = Int(status.st_size)
            if Int(status.st_size) > limit { failure = .tooLarge }
        case S_IFDIR:
            failure = .system(message(EISDIR))
        case S_IFIFO where isAnonymousPipe(fd):
            break
        case S_IFIFO:
            failure = .notAFile("a named pipe (FIFO)")
        case S_IFCHR:
            failure = .notAFile("a character device")
        case S_IFBLK:
            failure = .notAFile("a block device")
        case S_IFSOCK:
            failure = .notAFile("a socket")
        default:
            failure = .notAFile("an unusual file")
        }
        if let failure {
            _ = Glibc.close(fd)
            throw failure
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return (fd, size)
    }

    /// Whether `fd` is a pipe without a name: it then lives on the same
    /// internal file system (pipefs) as a pipe made here.
    private static func isAnonymousPipe(_ fd: Int32) -> Bool {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return false }
        defer { ends.forEach { _ = Glibc.close($0) } }
        var ours = stat()
        var theirs = stat()
        return fstat(ends[0], &ours) == 0 && fstat(fd, &theirs) == 0 && ours.st_dev == theirs.st_dev
    }

    /// Reads to end of file, or throws once more than `limit` bytes came.
    /// `expected` sizes the buffer once for a regular file.
    private static func readAll(_ fd: Int32, limit: Int, expected: Int?) throws(Failure) -> Data {
        var data = Data(capacity: min(expected.map { $0 + 1 } ?? 1 << 16, limit + 1))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let wanted = min(chunk.count, limit + 1 - data.count)
            let count = Glibc.read(fd, &chunk, wanted)
            if count == 0 { return data }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN {
                    // Standard input inherited non-blocking: wait for it.
                    var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                }
                throw .system(message(code))
            }
            data.append(contentsOf: chunk[0..<count])
            if data.count > limit { throw .tooLarge }
        }
    }

    /// `No such file or directory` for ENOENT.
    private static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
