import Conntrack

/// JSONWriter appends one JSON object to a ByteOutput, allocation-free for
/// keys and numbers. Strings are escaped per RFC 8259 (quote, backslash and
/// every control character), so a line never breaks a parser. Values that are
/// unknown are simply not written: the schema never uses `null`.
public struct JSONWriter<Output: ByteOutput> {
    public var output: Output
    private var needsComma = false

    public init(output: Output) {
        self.output = output
    }

    @inline(__always)
    public mutating func beginObject() {
        separator()
        output.append(UInt8(ascii: "{"))
        needsComma = false
    }

    @inline(__always)
    public mutating func beginObject(_ key: StaticString) {
        output.appendMember(key, comma: needsComma, opener: UInt8(ascii: "{"))
        needsComma = false
    }

    @inline(__always)
    public mutating func endObject() {
        output.append(UInt8(ascii: "}"))
        needsComma = true
    }

    @inline(__always)
    public mutating func beginArray(_ key: StaticString) {
        output.appendMember(key, comma: needsComma, opener: UInt8(ascii: "["))
        needsComma = false
    }

    @inline(__always)
    public mutating func endArray() {
        output.append(UInt8(ascii: "]"))
        needsComma = true
    }

    @inline(__always)
    public mutating func field(_ key: StaticString, _ value: String) {
        writeKey(key)
        appendString(value)
    }

    @inline(__always)
    public mutating func field(_ key: StaticString, _ value: StaticString) {
        writeStringKey(key)
        output.append(literal: value)
        output.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    public mutating func field(_ key: StaticString, _ value: some BinaryInteger) {
        writeKey(key)
        if value < 0 { output.append(UInt8(ascii: "-")) }
        // The magnitude, not a negation: -Int64.min does not fit an Int64.
        ASCIIDigits.append(UInt64(value.magnitude), to: &output)
    }

    @inline(__always)
    public mutating func field(_ key: StaticString, _ value: Bool) {
        writeKey(key)
        output.append(literal: value ? "true" : "false")
    }

    @inline(__always)
    public mutating func field(_ key: StaticString, _ value: IPAddress) {
        writeStringKey(key)
        value.appendText(to: &output)
        output.append(UInt8(ascii: "\""))
    }

    /// An address formatted earlier.
    @inline(__always)
    mutating func field(_ key: StaticString, _ text: InlineText) {
        writeStringKey(key)
        text.write(to: &output)
        output.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    mutating func element(_ text: InlineText) {
        separator()
        output.append(UInt8(ascii: "\""))
        text.write(to: &output)
        output.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A string whose characters `body` appends unescaped: only for text that
    /// needs no escaping (digits, addresses, times, fixed ASCII words).
    @inline(__always)
    public mutating func field(_ key: StaticString, ascii body: (inout Output) -> Void) {
        writeStringKey(key)
        body(&output)
        output.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    public mutating func element(_ value: String) {
        separator()
        appendString(value)
        needsComma = true
    }

    @inline(__always)
    public mutating func element(_ value: IPAddress) {
        separator()
        output.append(UInt8(ascii: "\""))
        value.appendText(to: &output)
        output.append(UInt8(ascii: "\""))
        needsComma = true
    }

    @inline(__always)
    public mutating func element(_ value: StaticString) {
        separator()
        output.append(UInt8(ascii: "\""))
        output.append(literal: value)
        output.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A member rendered earlier by a JSONWriter (`"key":value`), copied as is.
    @inline(__always)
    public mutating func fragment(_ member: [UInt8]) {
        separator()
        output.append(bytes: member)
        needsComma = true
    }

    /// Ends the line: the object must be complete.
    @inline(__always)
    public mutating func newline() {
        output.append(UInt8(ascii: "\n"))
        needsComma = false
    }

    @inline(__always)
    private mutating func separator() {
        if needsComma { output.append(UInt8(ascii: ",")) }
    }

    @inline(__always)
    private mutating func writeKey(_ key: StaticString) {
        output.appendMember(key, comma: needsComma, opener: 0)
        needsComma = true
    }

    /// `"key":"`: a member whose string value follows.
    @inline(__always)
    private mutating func writeStringKey(_ key: StaticString) {
        output.appendMember(key, comma: needsComma, opener: UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func appendString(_ value: String) {
        output.append(UInt8(ascii: "\""))
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5c && $0 != 0x7f }) {
            output.append(utf8: value)
        } else {
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    output.append(0x5c)
                    output.append(byte)
                case 0x0a: output.append(literal: "\\n")
                case 0x0d: output.append(literal: "\\r")
                case 0x09: output.append(literal: "\\t")
                case 0..<0x20, 0x7f:
                    output.append(literal: "\\u00")
                    output.append(ASCIIDigits.hexDigit(byte >> 4))
                    output.append(ASCIIDigits.hexDigit(byte & 0xf))
                default: output.append(byte)
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONWriter where Output == [UInt8] {
    /// A writer into a fresh byte array.
    public init(capacity: Int = 1024) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        self.init(output: bytes)
    }

    public var bytes: [UInt8] { output }
}
