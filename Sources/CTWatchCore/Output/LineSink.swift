import Foundation

/// LineSink collects complete lines and writes them to a file descriptor
/// with as few write(2) calls as possible. A write never holds a partial
/// line. When the reader goes away the sink reports it, so the command can end
/// quietly with status 0. Not thread-safe: one writer.
public final class LineSink {
    public enum Failure: Error, CustomStringConvertible {
        case readerGone
        case writeFailed(String)
        public var description: String {
            switch self {
            case .readerGone: "the reader closed the output"
            case .writeFailed(let reason): "cannot write the output: \(reason)"
            }
        }
    }

    private let fd: Int32
    /// Where lines are built; formatters append to it directly.
    public var buffer: ByteBuffer
    private let flushThreshold: Int
    public private(set) var linesWritten = 0

    /// A sink on standard output.
    public static func standardOutput() -> LineSink { LineSink(fd: 1) }

    public init(fd: Int32, flushThreshold: Int = 1 << 16) {
        self.fd = fd
        self.flushThreshold = flushThreshold
        buffer = ByteBuffer(capacity: flushThreshold + 8192)
        Terminal.ignoreSIGPIPE()
    }

    /// Call after appending one complete line (ending in `\n`) to `buffer`.
    public func lineAppended() throws {
        linesWritten += 1
        if buffer.count >= flushThreshold { try flush() }
    }

    public func appendLine(_ text: String) throws {
        buffer.append(utf8: text)
        buffer.append(0x0a)
        try lineAppended()
    }

    /// Whether the reader went away, known without writing (checked while idle).
    public var readerGone: Bool { Terminal.readerGone(fd) }

    /// Writes everything buffered.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        switch buffer.drain(to: fd) {
        case .written: break
        case .readerGone: throw Failure.readerGone
        case .failed(let code): throw Failure.writeFailed(Terminal.errorText(code))
        }
    }
}

/// Diagnostics writes one-line messages to standard error, each in one write.
public enum Diagnostics {
    public static func line(_ text: String) {
        var bytes = Array(("ctwatch: " + text).utf8)
        bytes.append(0x0a)
        _ = Terminal.writeAll(2, bytes)
    }
}
