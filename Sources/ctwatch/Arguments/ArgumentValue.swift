import ArgumentParser

/// ArgumentValue is a command-line value that can say why a text is not one.
///
/// Options declare it with `transform: T.parsed`, so the parser names the
/// option and the text, and the reason comes from here: `--mark +5: expected
/// VALUE or VALUE/MASK ...`. `init?(argument:)` is the same parse without the
/// reason, for places that only need yes or no.
protocol ArgumentValue: ExpressibleByArgument {
    init(parsing text: String) throws(ArgumentValueError)
}

extension ArgumentValue {
    init?(argument: String) {
        guard let value = try? Self(parsing: argument) else { return nil }
        self = value
    }

    /// parsed is the `transform:` of an option of this type.
    static func parsed(_ text: String) throws -> Self { try Self(parsing: text) }
}

/// ArgumentValueError is why a text is not a valid value, phrased to follow
/// `--option TEXT: `: `expected a positive integer, the number of events to write`.
struct ArgumentValueError: Error, CustomStringConvertible {
    let reason: String

    init(_ reason: String) { self.reason = reason }

    var description: String { reason }
}

/// DecimalText reads numbers the way a person writes them on a command line,
/// and nothing else: ASCII digits, no sign, no hex, no exponent, no spaces.
/// Swift's own `Int(_:)` takes `+5` and `Double(_:)` takes `0x10`, `1e3`,
/// `inf` and `nan`, which are never what was meant.
enum DecimalText {
    /// The value of a run of ASCII digits, nil for anything else or for more than `Int.max`.
    static func integer(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy(isDigit) else { return nil }
        return Int(text)
    }

    /// `12`, `0.5`, `.5` or `3.`: digits with at most one decimal point.
    static func number(_ text: String) -> Double? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ $0.utf8.allSatisfy(isDigit) }), parts.contains(where: { !$0.isEmpty }) else {
            return nil
        }
        return Double(text)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
