import CTWatchCore
import FoundationEssentials

/// DocumentFile reads a `--pods` or `--services` document from a path or
/// standard input without waiting for a writer that may never come and
/// without reading more than `KubeDocument.sizeLimit`.
///
/// A path must be a regular file or a pipe the shell already holds open
/// (`--pods <(kubectl get pods -A -o json)` hands over /dev/fd/N). A named
/// FIFO is refused: opening it blocks until some process writes, which may be
/// never. A device, a socket or a directory is refused too. Standard input
/// (`-`) is read as it is, whatever it is, up to the limit.
///
/// Errors are `KubeDocumentError`s naming the file: `subject` ("pods",
/// "services") shapes them, as in
/// `cannot read pods file "x": No such file or directory`.
enum DocumentFile {
    /// read returns the bytes of the file at `path`, or all of standard
    /// input for `-`, at most `limit`.
    static func read(
        _ path: String, subject: String, limit: Int = KubeDocument.sizeLimit
    ) throws(KubeDocumentError) -> Data {
        do throws(Refusal) {
            if path == "-" { return try readStandardInput(limit: limit) }
            let (fd, size) = try openDocument(path, limit: limit)
            defer { Syscalls.close(fd) }
            return try readAll(fd, limit: limit, expected: size)
        } catch {
            throw KubeDocumentError(subject: subject, path: path, reason: error.reason)
        }
    }

    /// check tells whether `read(_:subject:limit:)` would refuse `path`
    /// before reading it: missing, unreadable, not a file, or larger than
    /// `limit`. It reads nothing, and never waits on a FIFO. Standard input
    /// (`-`) is not checked: looking would consume it.
    static func check(_ path: String, subject: String, limit: Int = KubeDocument.sizeLimit) throws(KubeDocumentError) {
        guard path != "-" else { return }
        do throws(Refusal) {
            let (fd, _) = try openDocument(path, limit: limit)
            Syscalls.close(fd)
        } catch {
            throw KubeDocumentError(subject: subject, path: path, reason: error.reason)
        }
    }

    /// Why a document is not read, before the file is named.
    private struct Refusal: Error {
        let reason: KubeDocumentError.Reason

        init(_ reason: KubeDocumentError.Reason) { self.reason = reason }
        init(_ error: Syscalls.Errno) { reason = .unreadable(error.description) }
    }

    private static func readStandardInput(limit: Int) throws(Refusal) -> Data {
        let status: Syscalls.FileStatus
        do { status = try Syscalls.status(of: 0) } catch { throw Refusal(error) }
        let isFile = status.kind == .regular
        if isFile && status.size > limit { throw Refusal(.tooLarge(limit: limit)) }
        return try readAll(0, limit: limit, expected: isFile ? status.size : nil)
    }

    /// Opens `path` without blocking, checks what it is, and gives the
    /// descriptor back blocking; the size is known for a regular file.
    private static func openDocument(_ path: String, limit: Int) throws(Refusal) -> (Int32, Int?) {
        let fd: Int32
        do { fd = try Syscalls.openNonBlocking(path) } catch { throw Refusal(error) }
        do throws(Refusal) {
            let status: Syscalls.FileStatus
            do { status = try Syscalls.status(of: fd) } catch { throw Refusal(error) }
            var size: Int?
            switch status.kind {
            case .regular:
                if status.size > limit { throw Refusal(.tooLarge(limit: limit)) }
                size = status.size
            case .directory:
                throw Refusal(Syscalls.Errno.isADirectory)
            case .fifo where status.device == Syscalls.anonymousPipeDevice():
                break
            case .fifo:
                throw Refusal(.notAFile("a named pipe (FIFO)"))
            case .characterDevice:
                throw Refusal(.notAFile("a character device"))
            case .blockDevice:
                throw Refusal(.notAFile("a block device"))
            case .socket:
                throw Refusal(.notAFile("a socket"))
            case .other:
                throw Refusal(.notAFile("an unusual file"))
            }
            do { try Syscalls.setBlocking(fd) } catch { throw Refusal(error) }
            return (fd, size)
        } catch {
            Syscalls.close(fd)
            throw error
        }
    }

    /// Reads to end of file, or throws once more than `limit` bytes came.
    /// `expected` sizes the buffer once for a regular file.
    private static func readAll(_ fd: Int32, limit: Int, expected: Int?) throws(Refusal) -> Data {
        var data = Data(capacity: min(expected.map { $0 + 1 } ?? 1 << 16, limit + 1))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let wanted = min(chunk.count, limit + 1 - data.count)
            let count: Int
            do { count = try Syscalls.read(fd, into: &chunk, count: wanted) } catch { throw Refusal(error) }
            if count == 0 { return data }
            data.append(contentsOf: chunk[0..<count])
            if data.count > limit { throw Refusal(.tooLarge(limit: limit)) }
        }
    }
}
