/// An IPv4 or IPv6 address, held as a plain value.
///
/// The address is stored as two 64-bit words in network order: for IPv6 the
/// first eight bytes in `high` and the last eight in `low`; for IPv4 the four
/// bytes sit in the low 32 bits of `low` (`10.224.1.34` is `0x0AE0_0122`) and
/// `high` is zero. `IPAddress` is `Sendable` and safe to share across threads.
@frozen
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: UInt8, Sendable, Hashable {
        /// AF_INET
        case ipv4 = 2
        /// AF_INET6
        case ipv6 = 10
    }

    public let family: Family
    public let high: UInt64
    public let low: UInt64

    /// An IPv4 address from its 32-bit value in host order (`0x0AE0_0122` is 10.224.1.34).
    public init(ipv4 value: UInt32) {
        family = .ipv4
        high = 0
        low = UInt64(value)
    }

    /// An IPv6 address from its two 64-bit halves in host order.
    public init(ipv6High high: UInt64, low: UInt64) {
        family = .ipv6
        self.high = high
        self.low = low
    }

    /// The IPv4 value in host order; meaningless for IPv6.
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// The address bytes in network order: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        appendBytes(to: &out)
        return out
    }

    /// Appends the address bytes in network order.
    public func appendBytes(to out: inout [UInt8]) {
        switch family {
        case .ipv4:
            let v = ipv4Value
            out.append(UInt8(v >> 24))
            out.append(UInt8((v >> 16) & 0xff))
            out.append(UInt8((v >> 8) & 0xff))
            out.append(UInt8(v & 0xff))
        case .ipv6:
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((high >> UInt64(shift)) & 0xff)) }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((low >> UInt64(shift)) & 0xff)) }
        }
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::`, and an
    /// embedded dotted quad in the last 32 bits). Returns nil for anything else.
    public init?(_ text: some StringProtocol) {
        if text.contains(":") {
            guard let (h, l) = IPAddress.parseIPv6(Substring(text)) else { return nil }
            self.init(ipv6High: h, low: l)
        } else {
            guard let v = IPAddress.parseIPv4(Substring(text)) else { return nil }
            self.init(ipv4: v)
        }
    }

    private static func parseIPv4(_ text: Substring) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            if part.count > 1 && part.first == "0" { return nil }
            value = value << 8 | octet
            parts += 1
        }
        return parts == 4 ? value : nil
    }

    private static func parseIPv6(_ text: Substring) -> (UInt64, UInt64)? {
        if text.isEmpty { return nil }
        var groups: [UInt16] = []
        var gapIndex: Int? = nil
        var halves: [String] = []
        if let gap = text.firstRange(of: "::") {
            halves = [String(text[..<gap.lowerBound]), String(text[gap.upperBound...])]
            if halves[1].contains("::") { return nil }
        } else {
            halves = [String(text)]
        }
        func parseGroups(_ s: String, allowTrailingIPv4: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var result: [UInt16] = []
            let fields = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if field.contains(".") {
                    guard allowTrailingIPv4, i == fields.count - 1, let v4 = parseIPv4(field) else { return nil }
                    result.append(UInt16(v4 >> 16))
                    result.append(UInt16(v4 & 0xffff))
                } else {
                    // UInt16(_:radix:) would take a sign ("+1"); inet_pton does not.
                    guard !field.isEmpty, field.count <= 4, field.allSatisfy({ $0.isASCII && $0.isHexDigit }),
                        let g = UInt16(field, radix: 16)
                    else { return nil }
                    result.append(g)
                }
            }
            return result
        }
        if halves.count == 2 {
            guard let head = parseGroups(halves[0], allowTrailingIPv4: false),
                let tail = parseGroups(halves[1], allowTrailingIPv4: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head
            gapIndex = head.count
            groups += tail
        } else {
            guard let all = parseGroups(halves[0], allowTrailingIPv4: true), all.count == 8 else { return nil }
            groups = all
        }
        if let gap = gapIndex {
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        return (h, l)
    }

    /// Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`).
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(39)
        appendText(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical text as ASCII bytes: the allocation-free path used by formatters.
    @inlinable
    public func appendText<Output: ByteOutput>(to out: inout Output) {
        switch family {
        case .ipv4:
            let v = ipv4Value
            IPAddress.appendDecimal(UInt8(v >> 24), to: &out)
            out.append(0x2e)
            IPAddress.appendDecimal(UInt8((v >> 16) & 0xff), to: &out)
            out.append(0x2e)
            IPAddress.appendDecimal(UInt8((v >> 8) & 0xff), to: &out)
            out.append(0x2e)
            IPAddress.appendDecimal(UInt8(v & 0xff), to: &out)
        case .ipv6:
            // RFC 5952 section 5: an IPv4-mapped address ends in a dotted quad.
            if high == 0 && low >> 32 == 0xffff {
                out.append(literal: "::ffff:")
                IPAddress(ipv4: UInt32(truncatingIfNeeded: low)).appendText(to: &out)
                return
            }
            func group(_ i: Int) -> UInt16 {
                let word = i < 4 ? high : low
                return UInt16((word >> UInt64((3 - i % 4) * 16)) & 0xffff)
            }
            // Longest run of zero groups (length >= 2), first one on ties.
            var bestStart = -1
            var bestLen = 0
            var runStart = -1
            for i in 0...8 {
                if i < 8 && group(i) == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    let len = i - runStart
                    if len > bestLen && len >= 2 {
                        bestStart = runStart
                        bestLen = len
                    }
                    runStart = -1
                }
            }
            var i = 0
            while i < 8 {
                if i == bestStart {
                    out.append(0x3a)
                    out.append(0x3a)
                    i += bestLen
                    continue
                }
                if i > 0 && !(bestStart >= 0 && i == bestStart + bestLen) { out.append(0x3a) }
                IPAddress.appendHex(group(i), to: &out)
                i += 1
            }
        }
    }

    @inlinable
    static func appendDecimal<Output: ByteOutput>(_ v: UInt8, to out: inout Output) {
        if v >= 100 { out.append(0x30 + v / 100) }
        if v >= 10 { out.append(0x30 + (v / 10) % 10) }
        out.append(0x30 + v % 10)
    }

    @inlinable
    static func appendHex<Output: ByteOutput>(_ v: UInt16, to out: inout Output) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let nibble = Int((v >> UInt16(shift)) & 0xf)
            if nibble != 0 || started || shift == 0 {
                started = true
                out.append(UInt8(nibble < 10 ? 0x30 + nibble : 0x57 + nibble))
            }
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.family != b.family { return a.family.rawValue < b.family.rawValue }
        return (a.high, a.low) < (b.high, b.low)
    }
}
