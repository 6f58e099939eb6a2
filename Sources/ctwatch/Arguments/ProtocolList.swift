import Conntrack

/// ProtocolList is `--proto`: one or more protocols, comma-separated, each a
/// name (`tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, `dccp`, `gre`, `udplite`) or a
/// decimal number 0-255.
struct ProtocolList: ArgumentValue {
    let protocols: Set<TransportProtocol>

    init(parsing text: String) throws(ArgumentValueError) {
        let names = text.split(separator: ",", omittingEmptySubsequences: false)
        if names.allSatisfy(\.isEmpty) {
            throw ArgumentValueError(
                "name at least one protocol: tcp, udp, icmp, icmpv6, sctp, dccp, gre or a number, comma-separated")
        }
        var protocols = Set<TransportProtocol>()
        for name in names {
            if name.isEmpty {
                throw ArgumentValueError("an empty name between commas; expected names such as tcp,udp")
            }
            guard let transport = Self.transport(named: name) else {
                throw ArgumentValueError(
                    "\(DiagnosticText.quoted(String(name))) is not a protocol: expected tcp, udp, icmp, icmpv6, sctp, dccp, gre, udplite or a number 0-255"
                )
            }
            protocols.insert(transport)
        }
        self.protocols = protocols
    }

    /// A known name, or plain decimal digits: `TransportProtocol(name:)`
    /// alone would also take `+6`.
    private static func transport(named name: Substring) -> TransportProtocol? {
        if let number = DecimalText.integer(name) {
            return UInt8(exactly: number).map(TransportProtocol.init(rawValue:))
        }
        guard name.utf8.allSatisfy({ $0 != 0x2B && $0 != 0x2D }) else { return nil }
        return TransportProtocol(name: String(name))
    }
}
