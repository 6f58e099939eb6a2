import Conntrack

/// ASCIIDigits writes integers as ASCII digits.
public enum ASCIIDigits {
    @inline(__always)
    public static func append(_ value: UInt64, to out: inout some ByteOutput) {
        if value < 10 {
            out.append(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        appendDigits(value, count: 1, all: true, to: &out)
    }

    /// Appends the last `width` digits of `value` (1...20), zero-padded.
    @inline(__always)
    public static func append(_ value: UInt64, width: Int, to out: inout some ByteOutput) {
        appendDigits(value, count: min(max(width, 1), 20), all: false, to: &out)
    }

    /// Writes `count` digits of `value` (1...20), and every further digit when
    /// `all`. Digits are made last first, by division by the constant 10
    /// (which the compiler turns into a multiplication), in a 20-byte stack
    /// buffer copied out in one append: no division by a variable, no call per digit.
    @inline(__always)
    private static func appendDigits(_ value: UInt64, count: Int, all: Bool, to out: inout some ByteOutput) {
        var digits: (UInt64, UInt64, UInt32) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = 20
            var rest = value
            repeat {
                index &-= 1
                let quotient = rest / 10
                buffer[index] = 0x30 &+ UInt8(truncatingIfNeeded: rest &- quotient &* 10)
                rest = quotient
            } while index > 20 - count || (all && rest > 0)
            out.append(raw: UnsafeRawBufferPointer(rebasing: buffer[index..<20]))
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
}
