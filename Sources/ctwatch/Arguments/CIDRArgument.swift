import Conntrack

/// CIDRArgument reads `--src`, `--dst`, `--cidr`, `--service-cidr` with
/// `CIDR(parsing:)`, keeping its reason and dropping its restatement of the
/// text, which the option's name and value already give.
enum CIDRArgument {
    static func parsed(_ text: String) throws -> CIDR {
        do {
            return try CIDR(parsing: text)
        } catch {
            let restated = "invalid CIDR \(DiagnosticText.quoted(text)): "
            let message = error.description
            throw ArgumentValueError(message.hasPrefix(restated) ? String(message.dropFirst(restated.count)) : message)
        }
    }
}
