import Conntrack

/// ASCIIDigits writes integers as ASCII digits.
public enum ASCIIDigits {
    /// Digits are made last first, by division by the constant 10 (which the
    /// compiler turns into a multiplication), in a 20-byte stack buffer copied
    /// out in one append: no division by a variable, no call per digit.
    @inline(__always)
    public static func append(_ value: UInt64, to out: inout some ByteOutput) {
        if value < 10 {
            out.append(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits: (UInt64, UInt64, UInt32) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = 20
            var rest = value
            repeat {
                index &-= 1
                let quotient = rest / 10
                buffer[index] = 0x30 &+ UInt8(truncatingIfNeeded: rest &- quotient &* 10)
                rest = quotient
            } while rest > 0
            out.append(raw: UnsafeRawBufferPointer(rebasing: buffer[index..<20]))
        }
    }

    /// Appends the last `width` digits of `value` (1...20), zero-padded,
    /// made the same way.
    @inline(__always)
    public static func append(_ value: UInt64, width: Int, to out: inout some ByteOutput) {
        let width = min(max(width, 1), 20)
        var digits: (UInt64, UInt64, UInt32) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = value
            for index in stride(from: 19, through: 20 - width, by: -1) {
                let quotient = rest / 10
                buffer[index] = 0x30 &+ UInt8(truncatingIfNeeded: rest &- quotient &* 10)
                rest = quotient
            }
            out.append(raw: UnsafeRawBufferPointer(rebasing: buffer[(20 - width)..<20]))
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
}
