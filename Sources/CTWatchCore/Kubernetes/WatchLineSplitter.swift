/// WatchLineSplitter cuts a watch stream, which arrives in chunks that
/// need not end at line ends, into its lines (one JSON event each), holding
/// a partial line until its end comes. Blank lines are skipped.
public struct WatchLineSplitter: Sendable {
    /// The longest line accepted; a longer one is an error, not unbounded memory.
    public let maximumLineLength: Int
    private var partial: [UInt8] = []

    public init(maximumLineLength: Int = KubeDocument.sizeLimit) {
        self.maximumLineLength = maximumLineLength
    }

    /// feed takes the next bytes and returns the lines they completed, without their line ends.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(KubeStreamError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == 0x0A {
                if partial.last == 0x0D { partial.removeLast() }
                if !Self.isBlank(partial) { lines.append(partial) }
                partial.removeAll(keepingCapacity: true)
                continue
            }
            guard partial.count < maximumLineLength else {
                partial.removeAll()
                throw KubeStreamError(.lineTooLong(limit: maximumLineLength))
            }
            partial.append(byte)
        }
        return lines
    }

    /// finish returns the last line when the stream ended without a line end.
    public mutating func finish() -> [UInt8]? {
        defer { partial.removeAll() }
        return Self.isBlank(partial) ? nil : partial
    }

    private static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}
