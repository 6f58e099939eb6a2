import Conntrack

/// InlineText is an address formatted once, held inline (no heap), to be
/// copied into a line as often as the line names it: a JSON flow line names
/// each address up to four times.
struct InlineText: ByteOutput {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    private(set) var count = 0

    init() {}

    init(_ address: IPAddress) {
        address.appendText(to: &self)
    }

    init(rfc3339 time: WallTime, fractionDigits: Int = 9) {
        RFC3339.append(time, fractionDigits: fractionDigits, to: &self)
    }

    mutating func append(_ byte: UInt8) {
        // 48 bytes hold the longest IPv6 text (45 with an embedded IPv4) and a time (30).
        guard count < 48 else { return }
        let index = count
        withUnsafeMutableBytes(of: &storage) { $0[index] = byte }
        count += 1
    }

    mutating func append(literal text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { append(byte) } }
    }

    mutating func append(utf8 text: String) {
        for byte in text.utf8 { append(byte) }
    }

    mutating func append(bytes: [UInt8]) {
        for byte in bytes { append(byte) }
    }

    mutating func append(raw bytes: UnsafeRawBufferPointer) {
        for byte in bytes { append(byte) }
    }

    /// Appends the formatted address to `out`.
    func write(to out: inout some ByteOutput) {
        withUnsafeBytes(of: storage) { out.append(raw: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}
