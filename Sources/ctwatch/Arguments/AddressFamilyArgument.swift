import Conntrack

/// AddressFamilyArgument is `--family`: `ipv4` or `ipv6` (also `inet`, `inet6`, `4`, `6`).
struct AddressFamilyArgument: ArgumentValue, Equatable {
    let family: IPAddress.Family

    init(parsing text: String) throws(ArgumentValueError) {
        switch text.lowercased() {
        case "ipv4", "inet", "4": family = .ipv4
        case "ipv6", "inet6", "6": family = .ipv6
        default: throw ArgumentValueError("expected ipv4 or ipv6")
        }
    }

    static var allValueStrings: [String] { ["ipv4", "ipv6"] }
}

extension IPAddress.Family {
    /// How options and messages name the family: `IPv4`, `IPv6`.
    var displayName: String { self == .ipv4 ? "IPv4" : "IPv6" }
}
