import Testing

@testable import Conntrack

/// CommunityIDTests pins `CommunityID.v1` to the published baseline of the
/// corelight community-id-spec (baseline/README.md tables and the
/// baseline_deflt.json / baseline_seed1.json files), plus a few vectors of
/// our own that were cross-checked with an independent Python (hashlib)
/// implementation of the spec.
@Suite("Community ID v1")
struct CommunityIDTests {
    /// Vector is one flow tuple and its expected Community ID. For ICMP and
    /// ICMPv6 the ports are the message type and code.
    struct Vector: Sendable, CustomTestStringConvertible {
        let proto: UInt8
        let source: String
        let destination: String
        let sourcePort: UInt16
        let destinationPort: UInt16
        let id: String

        init(
            _ proto: UInt8, _ source: String, _ destination: String,
            _ sourcePort: UInt16, _ destinationPort: UInt16, _ id: String
        ) {
            self.proto = proto
            self.source = source
            self.destination = destination
            self.sourcePort = sourcePort
            self.destinationPort = destinationPort
            self.id = id
        }

        var testDescription: String { "[\(proto)] \(source)/\(sourcePort) -> \(destination)/\(destinationPort)" }

        func communityID(seed: UInt16 = 0) throws -> String {
            let saddr = try #require(IPAddress(source))
            let daddr = try #require(IPAddress(destination))
            return CommunityID.v1(
                source: saddr, destination: daddr, transport: proto,
                sourcePort: sourcePort, destinationPort: destinationPort, seed: seed)
        }

        /// The same flow seen from the other end.
        var reversed: Vector { Vector(proto, destination, source, destinationPort, sourcePort, id) }
    }

    static let v6a = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
    static let v6b = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

    /// The spec's baseline/README.md table, "Default settings" (seed 0).
    static let specTableSeed0: [Vector] = [
        Vector(6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM="),
        Vector(6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM="),
        Vector(17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="),
        Vector(17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="),
        Vector(132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="),
        Vector(132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="),
        Vector(1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="),
        Vector(1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="),
        Vector(1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="),
        Vector(58, v6a, v6b, 128, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="),
        Vector(58, v6b, v6a, 129, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="),
        Vector(58, v6a, v6b, 146, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10="),
        Vector(46, "1.2.3.4", "5.6.7.8", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="),
        Vector(46, "5.6.7.8", "1.2.3.4", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="),
        Vector(46, v6a, v6b, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="),
        Vector(46, v6b, v6a, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="),
    ]

    /// The spec's baseline/README.md table, "A custom seed=1 value".
    static let specTableSeed1: [Vector] = [
        Vector(6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
        Vector(6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
        Vector(17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
        Vector(17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
        Vector(132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="),
        Vector(132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="),
        Vector(1, "1.2.3.4", "5.6.7.8", 8, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="),
        Vector(1, "5.6.7.8", "1.2.3.4", 0, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="),
        Vector(1, "1.2.3.4", "5.6.7.8", 11, 0, "1:1DD7cWGC/Yg91YGsQeni8du3pIA="),
        Vector(58, v6a, v6b, 128, 0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="),
        Vector(58, v6b, v6a, 129, 0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="),
        Vector(58, v6a, v6b, 146, 0, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="),
        Vector(46, "1.2.3.4", "5.6.7.8", 0, 0, "1:/buhqeOmaRCopOZFy9HnoJd5XW8="),
        Vector(46, "5.6.7.8", "1.2.3.4", 0, 0, "1:/buhqeOmaRCopOZFy9HnoJd5XW8="),
        Vector(46, v6a, v6b, 0, 0, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="),
        Vector(46, v6b, v6a, 0, 0, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="),
    ]

    /// The spec's baseline/README.md table "No base64-encoding": the raw SHA-1 (seed 0).
    static let specTableHex: [(Vector, String)] = [
        (specTableSeed0[0], "c026f7386ef200559e95a53276ed03fb5db908b3"),
        (specTableSeed0[2], "d0cbbd227431eb3e1988264cffb1d78b658c84e8"),
        (specTableSeed0[4], "10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f"),
        (specTableSeed0[6], "72ba1d4472f6144b078dbbf752446b7dbb386d9d"),
        (specTableSeed0[7], "72ba1d4472f6144b078dbbf752446b7dbb386d9d"),
        (specTableSeed0[8], "7ff6224b25aa733ad381f5026650549ef1d170f9"),
        (specTableSeed0[9], "d1b7fb872309530b777cc103ef3f0b21f46905ea"),
        (specTableSeed0[11], "7d80bcfa9cf6e04f8484034fd44661a57d03c35d"),
        (specTableSeed0[12], "8a4bf79267fcf65b9fef758fcf58ceb38f52efaf"),
        (specTableSeed0[14], "c10ff69b0ae75cfe259897077462f978f8d1f9ed"),
    ]

    /// baseline/baseline_deflt.json: community-id-pcap over the spec's pcaps (seed 0).
    static let baselineSeed0: [Vector] = [
        Vector(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
        Vector(58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
        Vector(58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck="),
        Vector(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck="),
        Vector(58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="),
        Vector(
            58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
            "1:hLZd0XGWojozrvxqE0dWB1iM6R0="),
        Vector(58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="),
        Vector(58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="),
        Vector(58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="),
        Vector(58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00="),
        Vector(1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
        Vector(1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
        Vector(1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="),
        Vector(
            6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
        Vector(
            6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
        Vector(132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
        Vector(132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
        Vector(6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        Vector(6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        Vector(17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        Vector(17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        Vector(46, "10.1.12.1", "10.1.12.2", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="),
        Vector(46, "10.1.12.2", "10.1.12.1", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="),
    ]

    /// baseline/baseline_seed1.json: the same flows with seed 1.
    static let baselineSeed1: [Vector] = [
        Vector(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
        Vector(58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
        Vector(58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="),
        Vector(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="),
        Vector(58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="),
        Vector(
            58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
            "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8="),
        Vector(58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
        Vector(58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
        Vector(58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="),
        Vector(58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="),
        Vector(1, "192.168.0.89", "192.168.0.1", 8, 0, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="),
        Vector(1, "192.168.0.1", "192.168.0.89", 0, 8, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="),
        Vector(1, "10.0.0.1", "10.0.0.2", 11, 0, "1:XjUibYHaafLQ3pxQeiMI8g25q20="),
        Vector(
            6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
            "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
        Vector(
            6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
            "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
        Vector(132, "192.168.170.8", "192.168.170.56", 7, 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="),
        Vector(132, "192.168.170.56", "192.168.170.8", 7, 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="),
        Vector(6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
        Vector(6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
        Vector(17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
        Vector(17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
        Vector(46, "10.1.12.1", "10.1.12.2", 0, 0, "1:rYir8gphR31noO9iDRQmF/BteEI="),
        Vector(46, "10.1.12.2", "10.1.12.1", 0, 0, "1:rYir8gphR31noO9iDRQmF/BteEI="),
    ]

    /// Not from the spec: computed with an independent Python (hashlib)
    /// implementation of the spec, which reproduces every spec vector above.
    /// Cluster-shaped flows plus the corner cases the spec vectors leave out.
    static let crossChecked: [Vector] = [
        // frontend -> cart ClusterIP, and the pod-to-pod leg after DNAT.
        Vector(6, "10.224.1.34", "10.233.53.172", 51234, 8080, "1:AkFcVABTc1vSicRbS5YJeuD0U/w="),
        Vector(6, "10.224.1.56", "10.224.1.34", 8080, 51234, "1:ulQGKxFTJ6m+kFnJWCUbsoaVPKg="),
        Vector(17, "10.224.1.34", "10.233.0.10", 40000, 53, "1:hQQ4Z9dGBHl1k9dqb9d6MNqNu00="),
        Vector(6, "fd00:224:1::34", "fd00:233::172", 51234, 8080, "1:kIf8pPYj+DNg73zIfS2YX43kV+o="),
        // The IPv6 link-local pair of the baseline pcaps over TCP 1122 -> 3344.
        Vector(6, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 1122, 3344, "1:S+hU7S2AfXs33gTRROY3LITIBhM="),
        // One-way ICMP from the "larger" side: no reordering, so it differs
        // from the same message sent the other way (1:f/YiSy... above).
        Vector(1, "5.6.7.8", "1.2.3.4", 11, 0, "1:1Vae9INpTJ+fZaSmjhtK/hyOPac="),
        Vector(1, "5.6.7.8", "1.2.3.4", 3, 3, "1:LpbcOkCI0tVP+aO3QtYxJ5CoMcY="),
        Vector(58, v6b, v6a, 146, 0, "1:878dFWoCs3z66whoFjUXh12E26g="),
        // Two-way ICMP ignores the code: echo request with code 3 = code 0.
        Vector(1, "1.2.3.4", "5.6.7.8", 8, 3, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="),
        // Equal addresses: the ports decide the order.
        Vector(6, "10.0.0.1", "10.0.0.1", 80, 1234, "1:WaobEo3Uyp/JjlL9QX3lvrl1Oag="),
        Vector(6, "10.0.0.1", "10.0.0.1", 1234, 80, "1:WaobEo3Uyp/JjlL9QX3lvrl1Oag="),
        // GRE (47) has no ports in the hash.
        Vector(47, "10.224.1.34", "10.224.2.17", 0, 0, "1:12pUmM/jtjVunZXW4ShfuyOWIWo="),
    ]

    @Test("spec table, seed 0", arguments: specTableSeed0)
    func specTableSeed0Row(vector: Vector) throws {
        #expect(try vector.communityID() == vector.id)
    }

    @Test("spec table, seed 1", arguments: specTableSeed1)
    func specTableSeed1Row(vector: Vector) throws {
        #expect(try vector.communityID(seed: 1) == vector.id)
    }

    @Test("spec table, raw SHA-1 (no base64)", arguments: specTableHex)
    func specHex(vector: Vector, hex: String) throws {
        let digest = CommunityID.digest(
            source: try #require(IPAddress(vector.source)), destination: try #require(IPAddress(vector.destination)),
            transport: vector.proto, sourcePort: vector.sourcePort, destinationPort: vector.destinationPort, seed: 0)
        #expect(digest.description == hex)
    }

    @Test("baseline_deflt.json", arguments: baselineSeed0)
    func baselineDefaultFile(vector: Vector) throws {
        #expect(try vector.communityID() == vector.id)
    }

    @Test("baseline_seed1.json", arguments: baselineSeed1)
    func baselineSeed1File(vector: Vector) throws {
        #expect(try vector.communityID(seed: 1) == vector.id)
    }

    @Test("cross-checked vectors", arguments: crossChecked)
    func crossCheckedVectors(vector: Vector) throws {
        #expect(try vector.communityID() == vector.id)
    }

    /// Bidirectional flows: the reply direction (ports swapped; for ICMP the
    /// counterpart type) gives the same ID as the request direction.
    @Test(
        "both directions give the same ID",
        arguments: [
            Vector(6, "1.2.3.4", "5.6.7.8", 1122, 3344, ""),
            Vector(17, "10.224.1.34", "10.233.0.10", 40000, 53, ""),
            Vector(132, "192.168.170.56", "192.168.170.8", 7, 7, ""),
            Vector(6, "fd00:224:1::56", "fd00:224:1::34", 8080, 51234, ""),
            Vector(46, "10.1.12.2", "10.1.12.1", 0, 0, ""),
            Vector(6, "10.0.0.1", "10.0.0.1", 1234, 80, ""),
        ], [UInt16(0), 1, 0xFFFF])
    func symmetric(vector: Vector, seed: UInt16) throws {
        #expect(try vector.communityID(seed: seed) == vector.reversed.communityID(seed: seed))
    }

    /// Every two-way ICMP/ICMPv6 type: request from A and reply from B share an ID.
    @Test(
        "ICMP request/reply pairs share an ID",
        arguments: [
            (UInt8(1), UInt16(8), UInt16(0)), (1, 13, 14), (1, 15, 16), (1, 10, 9), (1, 17, 18),
            (58, 128, 129), (58, 130, 131), (58, 133, 134), (58, 135, 136), (58, 139, 140), (58, 144, 145),
        ])
    func icmpPairs(proto: UInt8, request: UInt16, reply: UInt16) throws {
        let (a, b) = proto == 1 ? ("10.224.1.34", "10.224.2.17") : ("fd00:224:1::34", "fd00:224:2::17")
        let out = try Vector(proto, b, a, request, 0, "").communityID()
        let back = try Vector(proto, a, b, reply, 0, "").communityID()
        #expect(out == back)
        #expect(try Vector(proto, b, a, request, 7, "").communityID() == out, "code is ignored for two-way types")
    }

    @Test("the counterpart table is symmetric, and only ICMP and ICMPv6 have one")
    func counterpartTables() {
        for type in UInt8(0)...255 {
            for transport in [TransportProtocol.icmp, .icmpv6] {
                if let other = transport.icmpCounterpart(ofType: type) {
                    #expect(transport.icmpCounterpart(ofType: other) == type, "\(transport) \(type)")
                }
            }
            #expect(TransportProtocol.tcp.icmpCounterpart(ofType: type) == nil)
            #expect(TransportProtocol.udp.icmpCounterpart(ofType: type) == nil)
        }
    }

    /// A type that does not fit in a byte is no ICMP type: hashed as one-way, as
    /// the spec's reference implementation does (its table has no such key).
    @Test("an ICMP type above 255 keeps direction")
    func typeAboveByte() throws {
        let (a, b) = ("1.2.3.4", "5.6.7.8")
        let types: [UInt16] = [256, 256 + 8, 0xffff]
        for type in types {
            #expect(try Vector(1, a, b, type, 0, "").communityID() != Vector(1, b, a, type, 0, "").communityID())
        }
    }

    /// One-way ICMP messages (unreachable, time exceeded, ...) are not
    /// reordered, so the direction matters.
    @Test(
        "one-way ICMP keeps direction",
        arguments: [(UInt8(1), UInt16(3)), (1, 11), (1, 5), (58, 1), (58, 3), (58, 146)])
    func oneWay(proto: UInt8, type: UInt16) throws {
        let (a, b) = proto == 1 ? ("1.2.3.4", "5.6.7.8") : (Self.v6a, Self.v6b)
        #expect(try Vector(proto, a, b, type, 0, "").communityID() != Vector(proto, b, a, type, 0, "").communityID())
    }

    @Test("protocols without ports ignore the ports given", arguments: [UInt8(0), 2, 4, 41, 46, 47, 50, 89, 136, 255])
    func portless(proto: UInt8) throws {
        #expect(
            try Vector(proto, "10.1.12.1", "10.1.12.2", 1, 2, "").communityID()
                == Vector(proto, "10.1.12.1", "10.1.12.2", 0, 0, "").communityID())
    }

    @Test("ports matter for TCP, UDP and SCTP", arguments: [UInt8(6), 17, 132])
    func portsMatter(proto: UInt8) throws {
        #expect(
            try Vector(proto, "10.1.12.1", "10.1.12.2", 1, 2, "").communityID()
                != Vector(proto, "10.1.12.1", "10.1.12.2", 1, 3, "").communityID())
    }

    @Test("format: 1: + 28 base64 characters")
    func format() throws {
        let id = try Vector(6, "1.2.3.4", "5.6.7.8", 1122, 3344, "").communityID()
        #expect(id.utf8.count == 30)
        #expect(id.hasPrefix("1:"))
        #expect(id.hasSuffix("="))
    }
}
