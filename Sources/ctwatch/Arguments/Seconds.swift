/// Seconds reads a time option: a decimal number of seconds, at most about 31 years.
enum Seconds {
    static let limit = 1e9

    /// positive reads `--duration`, `--resync-interval`: more than zero.
    static func positive(_ text: String) throws -> Double {
        try parse(text, allowZero: false)
    }

    /// nonNegative reads `--min-age`: zero or more.
    static func nonNegative(_ text: String) throws -> Double {
        try parse(text, allowZero: true)
    }

    private static func parse(_ text: String, allowZero: Bool) throws(ArgumentValueError) -> Double {
        let expected =
            "expected \(allowZero ? "0 or more" : "a positive number of") seconds in decimal (such as 30 or 0.5), at most \(Int(limit))"
        guard let value = DecimalText.number(text), value.isFinite, value <= limit, allowZero || value > 0 else {
            throw ArgumentValueError(expected)
        }
        return value
    }
}
