/// MarkMatch is `--mark VALUE[/MASK]`: entries whose mark, masked, equals
/// VALUE (masked too). A missing mask means all 32 bits. Each number is
/// decimal digits or `0x` and hex digits; no sign.
struct MarkMatch: ArgumentValue, Equatable {
    let value: UInt32
    let mask: UInt32

    init(parsing text: String) throws(ArgumentValueError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let value = Self.number(parts[0]) else { throw Self.expected }
        guard parts.count == 2 else {
            self.value = value
            mask = .max
            return
        }
        guard let mask = Self.number(parts[1]) else { throw Self.expected }
        self.value = value & mask
        self.mask = mask
    }

    private static let expected = ArgumentValueError(
        "expected VALUE or VALUE/MASK, each 32-bit, decimal or 0x hex, no sign (e.g. 0x4000/0x4000)")

    private static func number(_ part: Substring) -> UInt32? {
        if part.hasPrefix("0x") || part.hasPrefix("0X") {
            let digits = part.dropFirst(2)
            guard !digits.isEmpty, digits.utf8.allSatisfy(\.isHexDigit) else { return nil }
            return UInt32(digits, radix: 16)
        }
        return DecimalText.integer(part).flatMap(UInt32.init(exactly:))
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
