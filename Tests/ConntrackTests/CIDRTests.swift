import Conntrack
import Testing

/// CIDRTests covers strict parsing, host-bit normalisation, containment and
/// the one-line error messages.
@Suite("CIDR")
struct CIDRTests {
    @Test(
        "valid prefixes parse and print canonically",
        arguments: [
            ("10.224.1.0/24", "10.224.1.0/24", 24),
            ("fd00:224:1::/64", "fd00:224:1::/64", 64),
            ("0.0.0.0/0", "0.0.0.0/0", 0),
            ("::/0", "::/0", 0),
            ("10.233.0.1/32", "10.233.0.1/32", 32),
            ("fd00:233::172/128", "fd00:233::172/128", 128),
            ("FD00:0224:0001:0000::/48", "fd00:224:1::/48", 48),
            // IPAddress prints IPv4-mapped addresses in hex.
            ("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", 104),
            ("10.0.0.0/8", "10.0.0.0/8", 8),
            ("2001:db8::/32", "2001:db8::/32", 32),
        ])
    func valid(text: String, canonical: String, length: Int) throws {
        let cidr = try CIDR(parsing: text)
        #expect(cidr.description == canonical)
        #expect(cidr.prefixLength == length)
    }

    @Test(
        "a bare address is a single host",
        arguments: [
            ("10.224.1.34", "10.224.1.34/32", IPAddress.Family.ipv4),
            ("fd00:224:1::34", "fd00:224:1::34/128", .ipv6),
        ])
    func bareAddress(text: String, canonical: String, family: IPAddress.Family) throws {
        let cidr = try CIDR(parsing: text)
        #expect(cidr.description == canonical)
        #expect(cidr.family == family)
        #expect(cidr.contains(try #require(IPAddress(text))))
    }

    @Test(
        "host bits are accepted and cleared",
        arguments: [
            ("10.224.1.5/24", "10.224.1.0/24"),
            ("10.224.1.255/23", "10.224.0.0/23"),
            ("192.168.10.11/0", "0.0.0.0/0"),
            ("fd00:224:1::34/64", "fd00:224:1::/64"),
            ("fd00:224:1:ffff:1::/56", "fd00:224:1:ff00::/56"),
            ("fd00::1:2:3:4/65", "fd00::/65"),
            ("fd00::8000:0:0:1/65", "fd00:0:0:0:8000::/65"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"),
        ])
    func hostBits(text: String, canonical: String) throws {
        let cidr = try CIDR(parsing: text)
        #expect(cidr.description == (try CIDR(parsing: canonical)).description)
        #expect(cidr == (try CIDR(parsing: canonical)))
    }

    @Test(
        "contains",
        arguments: [
            ("10.224.1.0/24", "10.224.1.34", true),
            ("10.224.1.0/24", "10.224.1.0", true),
            ("10.224.1.0/24", "10.224.1.255", true),
            ("10.224.1.0/24", "10.224.2.1", false),
            ("10.224.1.0/24", "10.224.0.255", false),
            ("10.224.0.0/16", "10.224.200.7", true),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "fd00::1", false),
            ("::/0", "10.0.0.1", false),
            ("::/0", "fd00::1", true),
            ("fd00:224:1::/64", "fd00:224:1::56", true),
            ("fd00:224:1::/64", "fd00:224:1:0:ffff:ffff:ffff:ffff", true),
            ("fd00:224:1::/64", "fd00:224:2::56", false),
            ("fd00:224::/56", "fd00:224:0:ff::1", true),
            ("fd00:224::/56", "fd00:224:0:100::1", false),
            ("fd00::/65", "fd00::7fff:ffff:ffff:ffff", true),
            ("fd00::/65", "fd00::8000:0:0:0", false),
            ("10.233.0.1/32", "10.233.0.1", true),
            ("10.233.0.1/32", "10.233.0.2", false),
            ("fd00:233::172/128", "fd00:233::172", true),
            ("fd00:233::172/128", "fd00:233::173", false),
            // IPv4-mapped IPv6 is not matched against IPv4 prefixes.
            ("10.0.0.0/8", "::ffff:10.1.2.3", false),
        ])
    func contains(prefix: String, address: String, expected: Bool) throws {
        let cidr = try CIDR(parsing: prefix)
        #expect(cidr.contains(try #require(IPAddress(address))) == expected)
    }

    @Test(
        "netmask",
        arguments: [
            ("10.224.1.0/24", "255.255.255.0"),
            ("10.0.0.0/0", "0.0.0.0"),
            ("10.0.0.1/32", "255.255.255.255"),
            ("172.16.0.0/12", "255.240.0.0"),
            ("fd00::/64", "ffff:ffff:ffff:ffff::"),
            ("fd00::/0", "::"),
            ("fd00::/72", "ffff:ffff:ffff:ffff:ff00::"),
        ])
    func mask(prefix: String, mask: String) throws {
        #expect(try CIDR(parsing: prefix).mask.description == mask)
    }

    @Test("init(address:prefixLength:) normalises and clamps")
    func memberwise() throws {
        let address = try #require(IPAddress("10.224.1.34"))
        #expect(CIDR(address: address, prefixLength: 24).description == "10.224.1.0/24")
        #expect(CIDR(address: address, prefixLength: 40).prefixLength == 32)
        #expect(CIDR(address: address, prefixLength: -1).description == "0.0.0.0/0")
    }

    @Test(
        "invalid text is rejected with a one-line message",
        arguments: [
            ("10.224.1.0/33", #"invalid CIDR "10.224.1.0/33": the prefix length must be 0-32 for IPv4"#),
            ("fd00::/129", #"invalid CIDR "fd00::/129": the prefix length must be 0-128 for IPv6"#),
            ("10.224.1.0/-1", #"invalid CIDR "10.224.1.0/-1": the prefix length must be 0-32 for IPv4"#),
            ("10.224.1.0/+8", #"invalid CIDR "10.224.1.0/+8": the prefix length must be 0-32 for IPv4"#),
            ("10.224.1.0/x", #"invalid CIDR "10.224.1.0/x": the prefix length must be 0-32 for IPv4"#),
            (
                "10.224.1.0/99999999999999999999",
                #"invalid CIDR "10.224.1.0/99999999999999999999": the prefix length must be 0-32 for IPv4"#
            ),
            (
                "10.224.1.0/024",
                #"invalid CIDR "10.224.1.0/024": the prefix length must be written without leading zeros"#
            ),
            (
                "10.224.1.0/",
                #"invalid CIDR "10.224.1.0/": the prefix length after "/" is missing; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "/24",
                #"invalid CIDR "/24": the address before "/" is missing; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            ("", #"invalid CIDR "": expected an address or a prefix like 10.224.1.0/24 or fd00:224:1::/64"#),
            (
                " 10.224.1.0/24",
                #"invalid CIDR " 10.224.1.0/24": spaces are not allowed; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "10.224.1.0/24 ",
                #"invalid CIDR "10.224.1.0/24 ": spaces are not allowed; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "10.224.1.0/24\n",
                #"invalid CIDR "10.224.1.0/24\n": spaces are not allowed; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "10.224.1.0 /24",
                #"invalid CIDR "10.224.1.0 /24": spaces are not allowed; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "10.224.1.0/24/8",
                #"invalid CIDR "10.224.1.0/24/8": expected one "/" between the address and the prefix length, like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "10.224.1/24",
                #"invalid CIDR "10.224.1/24": "10.224.1" is not an IPv4 or IPv6 address; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "garbage",
                #"invalid CIDR "garbage": "garbage" is not an IPv4 or IPv6 address; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "10.224.1.256/24",
                #"invalid CIDR "10.224.1.256/24": "10.224.1.256" is not an IPv4 or IPv6 address; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "fe80::1%eth0/64",
                #"invalid CIDR "fe80::1%eth0/64": "fe80::1%eth0" is not an IPv4 or IPv6 address; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
            (
                "fd00:::1/64",
                #"invalid CIDR "fd00:::1/64": "fd00:::1" is not an IPv4 or IPv6 address; expected a prefix like 10.224.1.0/24 or fd00:224:1::/64"#
            ),
        ])
    func invalid(text: String, message: String) {
        #expect {
            try CIDR(parsing: text)
        } throws: { error in
            String(describing: error) == message
        }
    }

    @Test("errors carry a machine-readable reason")
    func reasons() {
        func reason(_ text: String) -> CIDRError.Reason? {
            do {
                _ = try CIDR(parsing: text)
                return nil
            } catch {
                return error.reason
            }
        }
        #expect(reason("10.224.1.0/33") == .prefixLengthOutOfRange(.ipv4))
        #expect(reason("fd00::/200") == .prefixLengthOutOfRange(.ipv6))
        #expect(reason("") == .empty)
        #expect(reason("\t10.0.0.0/8") == .whitespace)
        #expect(reason("a/b/c") == .extraSlash)
        #expect(reason("nope/8") == .invalidAddress("nope"))
        #expect(reason("10.0.0.0/") == .missingPrefixLength)
        #expect(reason("10.0.0.0/00") == .prefixLengthLeadingZero)
        #expect(reason("10.0.0.0/0") == nil)
    }

    @Test("equal prefixes hash equal")
    func hashable() throws {
        let set: Set<CIDR> = [
            try CIDR(parsing: "10.224.1.5/24"), try CIDR(parsing: "10.224.1.0/24"), try CIDR(parsing: "10.224.1.0/25"),
        ]
        #expect(set.count == 2)
    }
}
