/// MetricsAddress reads `--metrics-address`: `HOST:PORT`, `:PORT` (every
/// address) or `[IPV6]:PORT`, with a port from 1 to 65535.
struct MetricsAddress: ArgumentValue, Sendable, Equatable {
    /// Empty: every address.
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init(parsing text: String) throws(ArgumentValueError) {
        let expected = "expected HOST:PORT, :PORT or [IPV6]:PORT with a port from 1 to 65535 (such as :9153)"
        guard let colon = text.lastIndex(of: ":") else { throw ArgumentValueError(expected) }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            // An IPv6 address without brackets cannot be told from its port.
            throw ArgumentValueError(expected)
        }
        let portText = text[text.index(after: colon)...]
        guard portText.allSatisfy(\.isASCII), let port = Int(portText), (1...65535).contains(port),
            !host.contains(where: { $0 == " " || $0 == "/" })
        else { throw ArgumentValueError(expected) }
        self.init(host: host, port: port)
    }
}
