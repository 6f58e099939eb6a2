/// CIDR is an address prefix such as `10.224.1.0/24` or `fd00:224:1::/64`.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public var family: IPAddress.Family { address.family }

    public init(parsing text: String) throws(CIDRError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let ip = IPAddress(parts[0]) else {
            throw CIDRError(text: text, reason: "expected an address and a prefix length, like 10.224.1.0/24 or fd00::/64")
        }
        let maxLength = ip.family == .ipv4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            guard let n = Int(parts[1]), parts[1].allSatisfy(\.isNumber), (0...maxLength).contains(n) else {
                throw CIDRError(text: text, reason: "the prefix length must be 0-\(maxLength) for \(ip.family == .ipv4 ? "IPv4" : "IPv6")")
            }
            length = n
        }
        self.init(address: ip, prefixLength: length)
    }

    /// A prefix from an address and length; host bits are cleared.
    public init(address: IPAddress, prefixLength: Int) {
        let (maskHigh, maskLow) = CIDR.mask(family: address.family, length: prefixLength)
        self.address = address.family == .ipv4
            ? IPAddress(ipv4: UInt32(truncatingIfNeeded: address.low & maskLow))
            : IPAddress(ipv6High: address.high & maskHigh, low: address.low & maskLow)
        self.prefixLength = prefixLength
    }

    static func mask(family: IPAddress.Family, length: Int) -> (UInt64, UInt64) {
        if family == .ipv4 {
            return (0, length == 0 ? 0 : UInt64(UInt32.max << UInt32(32 - length)))
        }
        let high: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : UInt64.max << UInt64(64 - length))
        let low: UInt64 = length <= 64 ? 0 : (length == 128 ? .max : UInt64.max << UInt64(128 - length))
        return (high, low)
    }

    /// The network mask as an address value (`255.255.255.0` for /24).
    public var mask: IPAddress {
        let (h, l) = CIDR.mask(family: family, length: prefixLength)
        return family == .ipv4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: l)) : IPAddress(ipv6High: h, low: l)
    }

    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.family == address.family else { return false }
        let (h, l) = CIDR.mask(family: family, length: prefixLength)
        return ip.high & h == address.high && ip.low & l == address.low
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// CIDRError names the text that is not a prefix and what is expected.
public struct CIDRError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid CIDR \"\(text)\": \(reason)" }
}
