import Conntrack

/// ASCIIDigits writes integers as ASCII digits.
public enum ASCIIDigits {
    public static func append(_ value: UInt64, to out: inout some ByteOutput) {
        if value < 10 {
            out.append(0x30 + UInt8(value))
            return
        }
        var divisor: UInt64 = 10
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(0x30 + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Appends `value` with exactly `width` digits, zero-padded.
    public static func append(_ value: UInt64, width: Int, to out: inout some ByteOutput) {
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
