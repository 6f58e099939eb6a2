/// ByteOutput is where the formatters write text: a `[UInt8]`, or the
/// command side's output buffer. Generic, so each kind is specialised and the
/// hot path makes no call per byte.
public protocol ByteOutput {
    /// Appends one byte.
    mutating func append(_ byte: UInt8)
    /// Appends the UTF-8 bytes of a literal.
    mutating func append(literal text: StaticString)
    /// Appends the UTF-8 bytes of a string, unescaped.
    mutating func append(utf8 text: String)
    /// Appends bytes.
    mutating func append(bytes: [UInt8])
    /// Appends the bytes of a buffer the caller owns.
    mutating func append(raw bytes: UnsafeRawBufferPointer)
}

extension Array: ByteOutput where Element == UInt8 {
    @inlinable
    public mutating func append(literal text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    @inlinable
    public mutating func append(raw bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }

    @inlinable
    public mutating func append(bytes: [UInt8]) {
        append(contentsOf: bytes)
    }

    @inlinable
    public mutating func append(utf8 text: String) {
        append(contentsOf: text.utf8)
    }
}
