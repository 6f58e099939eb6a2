/// CIDR is an address prefix such as `10.224.1.0/24` or `fd00:224:1::/64`.
///
/// `address` is always the network address. Host bits are cleared when the
/// prefix is made, so `10.224.1.5/24` is accepted and becomes (and equals)
/// `10.224.1.0/24`: people paste a pod or node address with its prefix
/// length, and what they mean is the subnet.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The network address, host bits cleared.
    public let address: IPAddress
    /// 0-32 for IPv4, 0-128 for IPv6.
    public let prefixLength: Int

    /// The family of `address`.
    public var family: IPAddress.Family { address.family }

    /// init(parsing:) reads `address/length` strictly: a dotted-quad IPv4 or
    /// RFC 4291 IPv6 address, then an optional `/` and a decimal length with
    /// no sign or leading zeros (0-32 for IPv4, 0-128 for IPv6). A bare
    /// address is a single host (/32 or /128). Surrounding or embedded
    /// whitespace is rejected rather than trimmed, so a quoting mistake on
    /// the command line shows up instead of being guessed at. Host bits may
    /// be set and are cleared (see the type's documentation).
    public init(parsing text: String) throws(CIDRError) {
        if text.isEmpty { throw CIDRError(text: text, reason: .empty) }
        if text.contains(where: \.isWhitespace) { throw CIDRError(text: text, reason: .whitespace) }

        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count > 2 { throw CIDRError(text: text, reason: .extraSlash) }
        guard let ip = IPAddress(parts[0]) else {
            throw CIDRError(text: text, reason: .invalidAddress(String(parts[0])))
        }
        let maximum = CIDR.maximumLength(of: ip.family)
        guard parts.count == 2 else {
            self.init(address: ip, prefixLength: maximum)
            return
        }

        let digits = parts[1]
        if digits.isEmpty { throw CIDRError(text: text, reason: .missingPrefixLength) }
        guard digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), digits.utf8.count <= 3,
            let length = Int(digits), length <= maximum
        else {
            throw CIDRError(text: text, reason: .prefixLengthOutOfRange(ip.family))
        }
        if digits.utf8.count > 1 && digits.utf8.first == 0x30 {
            throw CIDRError(text: text, reason: .prefixLengthLeadingZero)
        }
        self.init(address: ip, prefixLength: length)
    }

    /// init(address:prefixLength:) makes the prefix of `address` with host
    /// bits cleared (`10.224.1.1`, 24 gives `10.224.1.0/24`). A length out of
    /// range is clamped to 0...32 or 0...128: the values come from the
    /// kernel or from `init(parsing:)`, and a monitor should not trap on them.
    public init(address: IPAddress, prefixLength: Int) {
        let length = min(max(prefixLength, 0), CIDR.maximumLength(of: address.family))
        let (maskHigh, maskLow) = CIDR.maskWords(family: address.family, length: length)
        switch address.family {
        case .ipv4: self.address = IPAddress(ipv4: UInt32(truncatingIfNeeded: address.low & maskLow))
        case .ipv6: self.address = IPAddress(ipv6High: address.high & maskHigh, low: address.low & maskLow)
        }
        self.prefixLength = length
    }

    /// mask is the netmask as an address (`255.255.255.0` for a /24).
    public var mask: IPAddress {
        let (high, low) = CIDR.maskWords(family: family, length: prefixLength)
        switch family {
        case .ipv4: return IPAddress(ipv4: UInt32(truncatingIfNeeded: low))
        case .ipv6: return IPAddress(ipv6High: high, low: low)
        }
    }

    /// contains tells whether `ip` lies in this prefix. An address of the
    /// other family is never contained (no IPv4-mapped IPv6 matching).
    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.family == address.family else { return false }
        let (maskHigh, maskLow) = CIDR.maskWords(family: family, length: prefixLength)
        return ip.high & maskHigh == address.high && ip.low & maskLow == address.low
    }

    /// description is `address/length`, always with the length (`10.224.1.34/32`).
    public var description: String { "\(address)/\(prefixLength)" }

    static func maximumLength(of family: IPAddress.Family) -> Int {
        family == .ipv4 ? 32 : 128
    }

    /// The mask in `IPAddress`'s word layout: IPv4 in the low 32 bits of `low`.
    static func maskWords(family: IPAddress.Family, length: Int) -> (high: UInt64, low: UInt64) {
        switch family {
        case .ipv4:
            // Swift's smart `<<` gives 0 for a shift by the full width: the /0 mask.
            return (0, UInt64(UInt32.max << UInt32(32 - length)))
        case .ipv6:
            let high = length >= 64 ? UInt64.max : UInt64.max << UInt64(64 - length)
            let low = length <= 64 ? 0 : UInt64.max << UInt64(128 - length)
            return (high, low)
        }
    }
}

/// CIDRError says which text is not a valid prefix and what was expected,
/// in one line: `invalid CIDR "10.224.1.0/33": the prefix length must be 0-32 for IPv4`.
public struct CIDRError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Reason is what is wrong with the text.
    public enum Reason: Hashable, Sendable {
        case empty
        /// Spaces, tabs or newlines anywhere in the text.
        case whitespace
        /// More than one `/`.
        case extraSlash
        /// The part before `/` (carried here) is not an IP address.
        case invalidAddress(String)
        /// Nothing after the `/`.
        case missingPrefixLength
        /// Not a decimal number, or too large for the family.
        case prefixLengthOutOfRange(IPAddress.Family)
        /// `/08` and the like: rejected because other tools read them differently.
        case prefixLengthLeadingZero
    }

    /// The text as given.
    public let text: String
    public let reason: Reason

    public init(text: String, reason: Reason) {
        self.text = text
        self.reason = reason
    }

    public var description: String {
        let example = "like 10.224.1.0/24 or fd00:224:1::/64"
        let detail: String
        switch reason {
        case .empty:
            detail = "expected an address or a prefix \(example)"
        case .whitespace:
            detail = "spaces are not allowed; expected a prefix \(example)"
        case .extraSlash:
            detail = "expected one \"/\" between the address and the prefix length, \(example)"
        case .invalidAddress(let part):
            detail =
                part.isEmpty
                ? "the address before \"/\" is missing; expected a prefix \(example)"
                : "\(DiagnosticText.quoted(part)) is not an IPv4 or IPv6 address; expected a prefix \(example)"
        case .missingPrefixLength:
            detail = "the prefix length after \"/\" is missing; expected a prefix \(example)"
        case .prefixLengthOutOfRange(.ipv4):
            detail = "the prefix length must be 0-32 for IPv4"
        case .prefixLengthOutOfRange(.ipv6):
            detail = "the prefix length must be 0-128 for IPv6"
        case .prefixLengthLeadingZero:
            detail = "the prefix length must be written without leading zeros"
        }
        // Quoted and escaped, keeping the message on one line.
        return "invalid CIDR \(DiagnosticText.quoted(text)): \(detail)"
    }
}
