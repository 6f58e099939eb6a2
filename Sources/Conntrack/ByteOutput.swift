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
    /// Appends the start of a JSON member: a comma when `comma`, then
    /// `"key":`, then `opener` (`{`, `[` or `"`) when it is not 0. JSON writers
    /// call it for every key; an output may do it with one capacity check.
    mutating func appendMember(_ key: StaticString, comma: Bool, opener: UInt8)
}

extension ByteOutput {
    @inlinable
    public mutating func appendMember(_ key: StaticString, comma: Bool, opener: UInt8) {
        append(literal: comma ? ",\"" : "\"")
        append(literal: key)
        append(literal: "\":")
        if opener != 0 { append(opener) }
    }
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
