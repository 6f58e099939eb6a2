/// CommunityID computes Community ID flow hashes (corelight community-id-spec, version 1).
///
/// A Community ID names a flow the same way in every tool that implements the
/// spec (Zeek, Suricata, Wireshark, Elastic, ...), so a conntrack entry seen
/// here can be matched against their logs by plain string comparison.
public enum CommunityID {
    /// The IP protocol numbers the spec hashes with ports (TCP, UDP, SCTP)
    /// or with ICMP type/code standing in for ports.
    private static let icmp: UInt8 = 1
    private static let tcp: UInt8 = 6
    private static let udp: UInt8 = 17
    private static let icmpv6: UInt8 = 58
    private static let sctp: UInt8 = 132

    /// v1 returns the version 1 Community ID, `1:` followed by the base64 of
    /// a SHA-1 over seed, addresses, protocol and ports, e.g.
    /// `1:wCb3OG7yAFWelaUydu0D+125CLM=`.
    ///
    /// Both directions of a flow give the same ID: the endpoints are put in
    /// order (smaller address first; equal addresses are decided by port)
    /// before hashing.
    ///
    /// - For TCP (6), UDP (17) and SCTP (132) the ports are hashed as given.
    /// - For ICMP (1) and ICMPv6 (58) pass the message **type** as
    ///   `sourcePort` and the **code** as `destinationPort`. As in Zeek and
    ///   the spec's reference implementation, a type that has a counterpart
    ///   (echo request/reply, router solicitation/advertisement, ...) is
    ///   hashed as the pair (type, counterpart type), so request and reply
    ///   land in one flow. Any other type is a one-way message: it is hashed
    ///   as (type, code) and the endpoints are *not* reordered.
    /// - For every other protocol the ports are ignored and left out of the hash.
    ///
    /// The two addresses are expected to be of the same family.
    public static func v1(
        source: IPAddress, destination: IPAddress, transport: UInt8,
        sourcePort: UInt16, destinationPort: UInt16, seed: UInt16 = 0
    ) -> String {
        render(
            digest(
                source: source, destination: destination, transport: transport,
                sourcePort: sourcePort, destinationPort: destinationPort, seed: seed))
    }

    /// digest is the SHA-1 behind `v1`, before base64; exposed to the module
    /// so tests can check the spec's hex ("no base64") vectors too.
    static func digest(
        source: IPAddress, destination: IPAddress, transport: UInt8,
        sourcePort: UInt16, destinationPort: UInt16, seed: UInt16
    ) -> SHA1.Digest {
        var sport = sourcePort
        var dport = destinationPort
        var hasPorts = true
        var oneWay = false
        switch transport {
        case tcp, udp, sctp:
            break
        case icmp, icmpv6:
            // A type above 255 cannot be an ICMP type: no counterpart, so one-way, as in the spec.
            if let type = UInt8(exactly: sourcePort),
                let counterpart = TransportProtocol(rawValue: transport).icmpCounterpart(ofType: type)
            {
                dport = UInt16(counterpart)
            } else {
                oneWay = true
            }
        default:
            hasPorts = false
            sport = 0
            dport = 0
        }

        var first = source
        var second = destination
        // Spec ordering: keep the tuple if it is one-way or already ordered
        // (saddr < daddr, or equal addresses and sport < dport); else flip.
        if !oneWay && !(first < second || (first == second && hasPorts && sport < dport)) {
            swap(&first, &second)
            swap(&sport, &dport)
        }

        // Hash input, always a multiple of 4 bytes:
        // seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1) [sport(2) dport(2)]
        var hasher = SHA1()
        hasher.update(bigEndian: seed)
        append(first, to: &hasher)
        append(second, to: &hasher)
        hasher.update(transport)
        hasher.update(0)
        if hasPorts {
            hasher.update(bigEndian: sport)
            hasher.update(bigEndian: dport)
        }
        return hasher.finalize()
    }

    /// Feeds the address bytes in network order: 4 for IPv4, 16 for IPv6.
    @inline(__always)
    private static func append(_ address: IPAddress, to hasher: inout SHA1) {
        switch address.family {
        case .ipv4:
            hasher.update(bigEndian: address.ipv4Value)
        case .ipv6:
            hasher.update(bigEndian: address.high)
            hasher.update(bigEndian: address.low)
        }
    }

    private static let base64Alphabet: InlineArray<64, UInt8> = [
        0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D,  // A-M
        0x4E, 0x4F, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A,  // N-Z
        0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D,  // a-m
        0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A,  // n-z
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x2B, 0x2F,  // 0-9 + /
    ]

    /// Renders `1:` + base64(digest) as a String.
    static func render(_ digest: SHA1.Digest) -> String {
        withUnsafeBytes(of: text(digest)) { String(decoding: $0, as: UTF8.self) }
    }

    /// `1:` + base64(digest): the 30 ASCII bytes, built in stack storage, so
    /// a formatter copies them into its line with no allocation.
    static func text(_ digest: SHA1.Digest) -> InlineArray<30, UInt8> {
        var text = InlineArray<30, UInt8>(repeating: 0x3D)  // "=" fills the final pad slot
        text[0] = 0x31  // "1"
        text[1] = 0x3A  // ":"
        var position = 2
        var index = 0
        // 20 bytes = six full 3-byte groups + one 2-byte tail (one "=").
        while index < 18 {
            let group =
                UInt32(digest.byte(at: index)) << 16
                | UInt32(digest.byte(at: index + 1)) << 8
                | UInt32(digest.byte(at: index + 2))
            text[position] = base64Alphabet[Int(group >> 18)]
            text[position + 1] = base64Alphabet[Int((group >> 12) & 0x3F)]
            text[position + 2] = base64Alphabet[Int((group >> 6) & 0x3F)]
            text[position + 3] = base64Alphabet[Int(group & 0x3F)]
            position += 4
            index += 3
        }
        let tail = UInt32(digest.byte(at: 18)) << 16 | UInt32(digest.byte(at: 19)) << 8
        text[26] = base64Alphabet[Int(tail >> 18)]
        text[27] = base64Alphabet[Int((tail >> 12) & 0x3F)]
        text[28] = base64Alphabet[Int((tail >> 6) & 0x3F)]
        return text
    }
}
