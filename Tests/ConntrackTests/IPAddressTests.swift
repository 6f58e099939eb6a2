import Conntrack
import Glibc
import Testing

/// IPAddress parsing and RFC 5952 formatting, checked against fixed cases and
/// against glibc's inet_pton/inet_ntop (what `conntrack -L` prints with).
@Suite("IPAddress")
struct IPAddressTests {
    // MARK: IPv4

    @Test(
        "IPv4 dotted quads parse to their value and print back",
        arguments: [
            ("10.224.1.34", UInt32(0x0AE0_0122)),
            ("0.0.0.0", 0),
            ("255.255.255.255", 0xFFFF_FFFF),
            ("1.2.3.4", 0x0102_0304),
            ("224.0.0.22", 0xE000_0016),
            ("10.233.53.172", 0x0AE9_35AC),
        ])
    func ipv4RoundTrip(text: String, value: UInt32) throws {
        let address = try #require(IPAddress(text))
        #expect(address.family == .ipv4)
        #expect(address.ipv4Value == value)
        #expect(address == IPAddress(ipv4: value))
        #expect(address.description == text)
        #expect(
            address.bytes == [
                UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff),
            ])
    }

    @Test(
        "Malformed IPv4 text is rejected",
        arguments: [
            "", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "1.2.3.04", "01.2.3.4", "00.0.0.0",
            "1..3.4", ".1.2.3.4", "1.2.3.4.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.a", "+1.2.3.4", "1.2.3.-4",
            "0x1.2.3.4", "١.٢.٣.٤", "1.2.3.4/24", "1.2.3.4:80", "1234.1.1.1", "1.2.3.4\n",
        ])
    func ipv4Invalid(text: String) {
        #expect(IPAddress(text) == nil)
    }

    // MARK: IPv6

    @Test(
        "IPv6 text prints in RFC 5952 canonical form",
        arguments: [
            ("::", "::"),
            ("::1", "::1"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("1::", "1::"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("fd00:224:1::34", "fd00:224:1::34"),
            ("fd00:0224:0001:0000:0000:0000:0000:0034", "fd00:224:1::34"),
            // RFC 5952 4.2.2: one zero group is not shortened.
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            // 4.2.3: the longest run is shortened ...
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            // ... the first of equal runs.
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("0:0:1:0:0:0:0:0", "0:0:1::"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("0:1:0:0:0:0:0:0", "0:1::"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("fe80::abcd:ef01", "fe80::abcd:ef01"),
            ("::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            // Embedded dotted quad in the last 32 bits.
            ("64:ff9b::10.224.1.34", "64:ff9b::ae0:122"),
        ])
    func ipv6Canonical(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.family == .ipv6)
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test("IPv6 halves hold the bytes in network order")
    func ipv6Halves() throws {
        let address = try #require(IPAddress("fd00:224:1::34"))
        #expect(address.high == 0xFD00_0224_0001_0000)
        #expect(address.low == 0x0000_0000_0000_0034)
        #expect(address.bytes == [0xfd, 0x00, 0x02, 0x24, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x34])
        #expect(address == IPAddress(ipv6High: 0xFD00_0224_0001_0000, low: 0x34))
    }

    @Test("An IPv4-mapped address keeps its value and family")
    func ipv4MappedValue() throws {
        let mapped = try #require(IPAddress("::ffff:10.224.1.34"))
        #expect(mapped.family == .ipv6)
        #expect(mapped.high == 0)
        #expect(mapped.low == 0x0000_FFFF_0AE0_0122)
        #expect(mapped != IPAddress("10.224.1.34"))
        #expect(IPAddress("::ffff:ae0:122") == mapped)
    }

    @Test("An IPv4-mapped address prints as ::ffff:a.b.c.d (RFC 5952 section 5, as inet_ntop and conntrack print it)")
    func ipv4MappedText() throws {
        let mapped = try #require(IPAddress("::ffff:10.224.1.34"))
        #expect(mapped.description == "::ffff:10.224.1.34")
        #expect(IPAddress("::FFFF:0AE0:0122")?.description == "::ffff:10.224.1.34")
        #expect(IPAddress("::ffff:0.0.0.0")?.description == "::ffff:0.0.0.0")
        // Only ::ffff:0:0/96 is mapped: its neighbours print in hex.
        #expect(IPAddress("::fffe:ae0:122")?.description == "::fffe:ae0:122")
        #expect(IPAddress("1::ffff:ae0:122")?.description == "1::ffff:ae0:122")
    }

    @Test(
        "Malformed IPv6 text is rejected",
        arguments: [
            ":", ":::", "1::2::3", "::1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::", "::g",
            "::ffff:1.2.3", "::ffff:1.2.3.256", "::ffff:01.2.3.4", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
            ":1::", "1::2:", "1:", ":1", "::1.2.3.4:5", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0",
            "[::1]", " ::1", "::1 ", "::1/128", "1:2:3:4:5:6:7:8:", "::ffff:1.2.3.4.5",
        ])
    func ipv6Invalid(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        "A sign in front of a group is not hex: ::+1 and ::-0 are rejected (inet_pton rejects them)",
        arguments: ["::+1", "::-0", "+1::", "1:+2::", "::+fff"])
    func ipv6SignedGroup(text: String) {
        #expect(IPAddress(text) == nil)
    }

    // MARK: Order

    @Test("Addresses order by family, then by value")
    func ordering() throws {
        let a = try #require(IPAddress("10.0.0.1"))
        let b = try #require(IPAddress("10.0.0.2"))
        let c = try #require(IPAddress("::1"))
        let d = try #require(IPAddress("fd00::1"))
        #expect(a < b && b < c && c < d)
        #expect([d, b, c, a].sorted() == [a, b, c, d])
    }

    // MARK: Against glibc

    /// IPv6 bytes of the deprecated IPv4-compatible form (::a.b.c.d), which
    /// inet_ntop writes with a dotted quad and RFC 5952 does not: there the two part ways on purpose.
    static func ntopUsesIPv4Compatible(_ bytes: [UInt8]) -> Bool {
        bytes[0..<12].allSatisfy { $0 == 0 } && (bytes[12] != 0 || bytes[13] != 0)
    }

    static func ntop6(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        bytes.withUnsafeBytes { _ = inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(cString: text)
    }

    static func pton(_ text: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let v6 = text.contains(":")
        let ok = buffer.withUnsafeMutableBytes { inet_pton(v6 ? AF_INET6 : AF_INET, text, $0.baseAddress) }
        return ok == 1 ? Array(buffer.prefix(v6 ? 16 : 4)) : nil
    }

    static func address(_ bytes: [UInt8]) -> IPAddress {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
        return IPAddress(ipv6High: high, low: low)
    }

    /// Random IPv6 bytes with runs of zero groups, the shapes that exercise `::` placement.
    fileprivate static func randomIPv6(_ rng: inout SplitMix64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        if rng.next() % 16 == 0 {
            // IPv4-mapped.
            bytes[10] = 0xff
            bytes[11] = 0xff
            for i in 12..<16 { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
            return bytes
        }
        for group in 0..<8 {
            switch rng.next() % 4 {
            case 0, 1: continue  // zero group
            case 2: bytes[group * 2 + 1] = UInt8(truncatingIfNeeded: rng.next() % 16)  // short group
            default:
                let v = rng.next()
                bytes[group * 2] = UInt8(truncatingIfNeeded: v)
                bytes[group * 2 + 1] = UInt8(truncatingIfNeeded: v >> 8)
            }
        }
        return bytes
    }

    @Test("IPv6 text equals inet_ntop's for 20000 random addresses, and parses back")
    func ipv6AgainstInetNtop() {
        var rng = SplitMix64(seed: 5952)
        var mismatches: [String] = []
        for _ in 0..<20000 {
            let bytes = Self.randomIPv6(&rng)
            let address = Self.address(bytes)
            let glibc = Self.ntop6(bytes)
            if !Self.ntopUsesIPv4Compatible(bytes) && address.description != glibc {
                mismatches.append("\(glibc) printed as \(address)")
            }
            if IPAddress(glibc)?.bytes != bytes { mismatches.append("\(glibc) does not parse back") }
            if IPAddress(address.description) != address { mismatches.append("\(address) does not parse back") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test("The parser accepts exactly what inet_pton accepts, with the same value (mutation fuzz)")
    func parserAgainstInetPton() {
        var rng = SplitMix64(seed: 4291)
        let alphabet = Array("0123456789abcdefABCDEF:.::/%g -+x")
        var disagreements: [String] = []
        for i in 0..<40000 {
            var text: [Character]
            if i % 2 == 0 {
                text = Array(Self.address(Self.randomIPv6(&rng)).description)
                if i % 6 == 0 {
                    text = Array(
                        "::ffff:\(rng.next() % 256).\(rng.next() % 300).\(rng.next() % 256).\(rng.next() % 256)")
                }
            } else {
                text = Array("\(rng.next() % 260).\(rng.next() % 256).\(rng.next() % 256).\(rng.next() % 256)")
            }
            for _ in 0..<Int(rng.next() % 3) {
                let position = Int(rng.next() % UInt64(text.count + 1))
                let character = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch rng.next() % 3 {
                case 0: text.insert(character, at: position)
                case 1: if position < text.count { text.remove(at: position) }
                default: if position < text.count { text[position] = character }
                }
            }
            let string = String(text)
            let ours = IPAddress(string)?.bytes
            let glibc = Self.pton(string)
            if ours != glibc {
                disagreements.append(
                    "\"\(string)\": ctwatch \(ours.map { "\($0)" } ?? "nil"), inet_pton \(glibc.map { "\($0)" } ?? "nil")"
                )
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, e.g. \(disagreements.prefix(8))")
    }
}

/// SplitMix64: a tiny seeded generator, so fuzz cases are the same on every run.
fileprivate struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
