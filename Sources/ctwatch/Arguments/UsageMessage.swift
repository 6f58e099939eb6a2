import Conntrack
import FoundationEssentials

/// UsageMessage turns the argument parser's error text into the one line
/// ctwatch prints.
enum UsageMessage {
    /// oneLine joins the parser's lines (dropping its usage and `See ...`
    /// lines, since the caller points at --help) and rewrites a rejected value
    /// as `invalid --option VALUE: reason`, the shape of ctwatch's other errors.
    static func oneLine(_ text: String) -> String {
        rewritingRejectedValue(text)
            .split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
            .joined(separator: " ")
    }

    /// `The value '+5' is invalid for '--mark <mark>': expected ...` becomes
    /// `invalid --mark +5: expected ...`; anything else is kept.
    private static func rewritingRejectedValue(_ text: String) -> String {
        let pattern = /^The value '(?<value>.*)' is invalid for '(?<option>-[^' <]+)(?: <[^>]*>)?': (?<reason>.+)$/
            .dotMatchesNewlines()
        guard let match = text.wholeMatch(of: pattern) else { return text }
        return "invalid \(match.option) \(shown(String(match.value))): \(match.reason)"
    }

    /// The value as typed when it reads unambiguously, quoted and escaped when
    /// it is empty or holds spaces, quotes or control characters.
    static func shown(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "\\" && $0 != "'"
                    && !$0.properties.isWhitespace
            }
        return plain ? value : DiagnosticText.quoted(value)
    }
}
