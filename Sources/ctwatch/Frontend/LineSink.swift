import CTWatchCore

/// LineSink collects complete lines and writes them to a file descriptor
/// with as few write(2) calls as possible. A write never holds a partial
/// line. When the reader goes away the sink reports it, so the command can end
/// quietly with status 0. Not thread-safe: one writer.
final class LineSink {
    enum Failure: Error, CustomStringConvertible {
        case readerGone
        case writeFailed(String)
        var description: String {
            switch self {
            case .readerGone: "the reader closed the output"
            case .writeFailed(let reason): "cannot write the output: \(reason)"
            }
        }
    }

    private let fd: Int32
    /// Where lines are built; formatters append to it directly.
    var buffer: ByteBuffer
    private let flushThreshold: Int
    private(set) var linesWritten = 0

    /// A sink on standard output.
    static func standardOutput() -> LineSink { LineSink(fd: 1) }

    init(fd: Int32, flushThreshold: Int = 1 << 16) {
        self.fd = fd
        self.flushThreshold = flushThreshold
        buffer = ByteBuffer(capacity: flushThreshold + 8192)
    }

    /// Call after appending one complete line (ending in `\n`) to `buffer`.
    func lineAppended() throws {
        linesWritten += 1
        if buffer.count >= flushThreshold { try flush() }
    }

    func appendLine(_ text: String) throws {
        buffer.append(utf8: text)
        buffer.append(0x0a)
        try lineAppended()
    }

    /// Whether the reader went away, known without writing (checked while idle).
    var readerGone: Bool { Syscalls.readerGone(fd) }

    /// Writes everything buffered; the buffer is then empty, whatever happened.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        let written = buffer.withUnsafeBytes { bytes in
            Result { () throws(Syscalls.Errno) in try Syscalls.writeAll(fd, bytes) }
        }
        buffer.removeAll()
        switch written {
        case .success: break
        case .failure(let error) where error.isBrokenPipe: throw Failure.readerGone
        case .failure(let error): throw Failure.writeFailed(error.description)
        }
    }
}
