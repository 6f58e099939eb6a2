import Conntrack

/// JSONWriter appends one JSON object to a byte buffer, allocation-free for
/// keys and numbers. Strings are escaped per RFC 8259 (quote, backslash and
/// every control character), so a line never breaks a parser. Values that are
/// unknown are simply not written: the schema never uses `null`.
public struct JSONWriter {
    public var bytes: [UInt8]
    private var needsComma = false

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        separator()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func beginObject(_ key: StaticString) {
        writeKey(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray(_ key: StaticString) {
        writeKey(key)
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    public mutating func field(_ key: StaticString, _ value: String) {
        writeKey(key)
        appendString(value)
    }

    public mutating func field(_ key: StaticString, _ value: StaticString) {
        writeKey(key)
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func field(_ key: StaticString, _ value: some BinaryInteger) {
        writeKey(key)
        appendInteger(value)
    }

    public mutating func field(_ key: StaticString, _ value: Bool) {
        writeKey(key)
        bytes.append(contentsOf: value ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6c, 0x73, 0x65])
    }

    public mutating func field(_ key: StaticString, _ value: IPAddress) {
        writeKey(key)
        bytes.append(UInt8(ascii: "\""))
        value.appendText(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A string made by `body` appending raw ASCII (no escaping needed: digits, dashes, addresses).
    public mutating func field(_ key: StaticString, ascii body: (inout [UInt8]) -> Void) {
        writeKey(key)
        bytes.append(UInt8(ascii: "\""))
        body(&bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func element(_ value: String) {
        separator()
        appendString(value)
        needsComma = true
    }

    public mutating func element(_ value: IPAddress) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        value.appendText(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func element(_ value: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Ends the line: the object must be complete.
    public mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
        needsComma = false
    }

    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func writeKey(_ key: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(0x5c); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(0x5c); bytes.append(byte)
            case 0x0a: bytes.append(0x5c); bytes.append(UInt8(ascii: "n"))
            case 0x0d: bytes.append(0x5c); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(0x5c); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7f:
                bytes.append(contentsOf: [0x5c, UInt8(ascii: "u"), 0x30, 0x30])
                bytes.append(Decimal.hexDigit(byte >> 4))
                bytes.append(Decimal.hexDigit(byte & 0xf))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendInteger(_ value: some BinaryInteger) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            Decimal.append(UInt64(-Int64(value)), to: &bytes)
        } else {
            Decimal.append(UInt64(value), to: &bytes)
        }
    }
}

/// Decimal writes integers as ASCII digits into a byte buffer.
public enum Decimal {
    public static func append(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(0x30 + UInt8(value))
            return
        }
        var divisor: UInt64 = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(0x30 + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// Appends `value` with exactly `width` digits, zero-padded.
    public static func append(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(0x30 + UInt8((rest / divisor) % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
}
