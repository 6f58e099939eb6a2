import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// ctwatch's JSON lines held against truth that does not come from ctwatch:
/// the lines `conntrack -L -o id` / `-E -o id` printed for the same entries,
/// Community IDs computed by the reference implementation, and the raw bytes
/// the formatter wrote. Also: the checks themselves catch what they claim to.
@Suite("JSON lines against independent truth")
struct JSONIndependentTruthTests {
    /// Community ID v1, seed 0, of the original tuples of every recorded entry,
    /// computed by the reference implementation (PyPI `communityid` 1.5.0,
    /// `CommunityID(seed=0).calc(FlowTuple(...))`); for ICMP the ports are type and code.
    static let recordedCommunityIDs: [Vector] = [
        Vector(1, "10.224.1.34", "10.224.1.56", 8, 0, "1:hFv60qesILH6J0vNiAOQm7i2hqk="),
        Vector(2, "10.224.1.1", "224.0.0.22", 0, 0, "1:6+1IdyeY6zmXlE2wdJ0QyNe+mfU="),
        Vector(6, "10.224.1.34", "10.224.1.56", 56702, 8080, "1:raxvMMOf4Zj3M/dWjpQUOLi1Ulw="),
        Vector(6, "10.224.1.34", "10.233.53.172", 49920, 8080, "1:Msr2pX7n60mLAty57DhrvpBk3eE="),
        Vector(6, "10.224.1.34", "10.233.53.172", 53836, 8080, "1:fTxigDHzsAyp6jNVTzark+ZZ/lA="),
        Vector(6, "10.224.1.34", "10.233.53.172", 55416, 8080, "1:4xNAVog7d0QVFJNKn3ByiRuJRXI="),
        Vector(6, "10.224.1.34", "10.233.53.173", 35586, 8080, "1:JAWDQH99QyN4qtbtnCfrUitvkr0="),
        Vector(6, "10.224.1.56", "10.233.53.172", 34908, 8080, "1:09znXl9cR5rZ4+4DHXTyhgPuLF4="),
        Vector(6, "fd00:224:1::34", "fd00:233::172", 46816, 8080, "1:DGtqQ5fTlYithfFLH+dwQv+JipI="),
        Vector(6, "fd00:224:1::34", "fd00:233::172", 54630, 8080, "1:PMwnGgZ1CRKyBMKlhjOQ7ku3F0Q="),
        Vector(17, "10.224.1.34", "10.224.1.56", 35511, 8080, "1:JoR5tIJDw6W/9l+bt5UySCbwa8I="),
        Vector(17, "10.224.1.34", "10.233.53.172", 34711, 8080, "1:DmSs9vcJvigrmrLlHlMgdPlZIlA="),
        Vector(17, "10.224.1.34", "10.233.53.172", 39359, 8080, "1:y5EKx/+azhpT2HiNTonGfo4TxUY="),
        Vector(17, "10.224.1.56", "10.224.1.34", 8080, 34711, "1:NzFweOVTOlt6gY6K87nFvAyJNo4="),
        Vector(17, "fd00:224:1::34", "fd00:233::172", 50791, 8080, "1:BZGgnuDB87lJcfSQoPvp8YBP4lg="),
        Vector(17, "fd00:224:1::56", "fd00:233::172", 60454, 8080, "1:Uj/8vPyreQVnlaGmZrANqbmgKSw="),
        Vector(50, "127.0.0.1", "127.0.0.1", 0, 0, "1:ewk7FaMxjaY1Lpd1Rmfj5edtLcs="),
        Vector(50, "::1", "::1", 0, 0, "1:yXA6UYZ+Wogje0dBfEJ/BIub0pc="),
        Vector(51, "127.0.0.1", "127.0.0.1", 0, 0, "1:ZhqZW+NNeH1q2rTKhCz6ZzfzZpU="),
        Vector(58, "::1", "::1", 139, 0, "1:7U0PgkWqQOlErxLA9eln1crQueI="),
        Vector(58, "fd00:224:1::34", "fd00:224:1::56", 128, 0, "1:0o2kfatMnzq0m/Ma+GAYTQ+11s4="),
        Vector(143, "127.0.0.1", "127.0.0.1", 0, 0, "1:0R36tKZfiT6cpf2n0YQO11Fek4w="),
        Vector(253, "127.0.0.1", "127.0.0.1", 0, 0, "1:5ghFtXZaxjnJ4fxhPp1H1W12yK8="),
    ]

    /// Vectors of the specification's baseline/README.md table (seed 0).
    static let specCommunityIDs: [Vector] = [
        Vector(6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM="),
        Vector(17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="),
        Vector(132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="),
        Vector(1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="),
        Vector(1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="),
        Vector(
            58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0,
            "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="),
        Vector(
            58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0,
            "1:fYC8+pz24E+EhANP1EZhpX0Dw10="),
        Vector(46, "5.6.7.8", "1.2.3.4", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="),
    ]

    struct Vector: Sendable, CustomTestStringConvertible {
        var transport: UInt8
        var source: String, destination: String
        var sourcePort: UInt16, destinationPort: UInt16
        var id: String
        init(
            _ transport: UInt8, _ source: String, _ destination: String, _ sport: UInt16, _ dport: UInt16, _ id: String
        ) {
            (self.transport, self.source, self.destination, sourcePort, destinationPort, self.id) =
                (transport, source, destination, sport, dport, id)
        }
        var testDescription: String { "\(transport) \(source) \(sourcePort) -> \(destination) \(destinationPort)" }
    }

    /// Every recorded entry with the conntrack line it was recorded from.
    static let entries: [(name: String, conntrackLine: String, kind: EventKind?, flow: Flow)] =
        RecordedFlows.all.map { ($0.name, $0.conntrackLine, $0.event, $0.flow) }
        + [
            (
                "ICMPv6 node information query", OutputProtocolTests.nodeInformationQueryLine, nil,
                OutputProtocolTests.nodeInformationQuery
            )
        ]
        + OutputProtocolTests.generic.map { ("generic \($0.flow.transport.rawValue)", $0.line, nil, $0.flow) }

    static func line(_ flow: Flow, kind: EventKind?) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        EventFormatter.appendJSON(
            ConntrackEvent(kind: kind ?? .new, flow: flow, received: WallTime(nanoseconds: 1_795_739_438_758_684_000)),
            into: &json)
        return json.bytes
    }

    @Test(
        "The independent Community ID implementation agrees with the reference and the spec",
        arguments: Self.recordedCommunityIDs + Self.specCommunityIDs)
    func referenceAgrees(vector: Vector) throws {
        let id = try CommunityIDReference.shared.v1(
            transport: vector.transport, source: vector.source, destination: vector.destination,
            sourcePort: vector.sourcePort, destinationPort: vector.destinationPort)
        #expect(id == vector.id)
    }

    @Test(
        "Each recorded entry's line has the Community ID the reference implementation computed for it",
        arguments: Self.entries.indices)
    func recordedCommunityID(index: Int) throws {
        let entry = Self.entries[index]
        let conntrack = try #require(ConntrackLine(entry.conntrackLine))
        let original = conntrack.original
        let sport = original.icmpType.map { UInt16($0) } ?? original.sourcePort ?? 0
        let dport = original.icmpType != nil ? UInt16(original.icmpCode ?? 0) : original.destinationPort ?? 0
        let vector = try #require(
            Self.recordedCommunityIDs.first {
                $0.transport == conntrack.protocolNumber && $0.source == original.source
                    && $0.destination == original.destination && $0.sourcePort == sport && $0.destinationPort == dport
            }, "no reference value for \(entry.conntrackLine)")
        let value = try StrictJSON.parse(Self.line(entry.flow, kind: entry.kind))
        #expect(value[path: "network", "community_id"] == .string(vector.id))
    }

    @Test("Each recorded entry's line says what conntrack printed for the same entry", arguments: Self.entries.indices)
    func againstConntrack(index: Int) throws {
        let entry = Self.entries[index]
        let conntrack = try #require(ConntrackLine(entry.conntrackLine))
        let line = Self.line(entry.flow, kind: entry.kind)
        let (values, framing) = JSONLineSchema.checkOutput(line)
        let value = try #require(values.first)
        let problems = framing + JSONLineSchema.conntrackProblems(value, entry: conntrack)
        #expect(
            problems.isEmpty,
            "\(entry.name):\n\(problems.joined(separator: "\n"))\n\(String(decoding: line, as: UTF8.self))")
        #expect(JSONLineSchema.shapeProblems(value).isEmpty, "\(JSONLineSchema.shapeProblems(value))")
    }

    @Test(
        "The bytes ctwatch wrote when the flows were recorded match what conntrack listed",
        arguments: [
            ("session1-ctwatch-list-bridge-nf-on.json", "session1-conntrack-L-bridge-nf-on.txt"),
            ("session1-ctwatch-list-bridge-nf-off.json", "session1-conntrack-L-bridge-nf-off.txt"),
            ("session2-ctwatch-list.json", "session2-conntrack-L.txt"),
            ("session3-ctwatch-list.json", "session3-conntrack-L.txt"),
        ])
    func recordedOutput(ctwatch: String, conntrack: String) throws {
        let bytes = try [UInt8](Data(contentsOf: FlowFixtures.url(ctwatch)))
        let (values, framing) = JSONLineSchema.checkOutput(bytes)
        #expect(framing.isEmpty, "\(framing)")
        #expect(!values.isEmpty)
        let listed = try String(contentsOf: FlowFixtures.url(conntrack), encoding: .utf8)
        let problems = JSONLineSchema.conntrackProblems(values, conntrackOutput: listed)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("The conntrack line parser reads tuples, ICMP ids, flags, counters, mark, zone and CTA_ID")
    func conntrackLineParser() throws {
        let icmp = try #require(
            ConntrackLine(
                "[DESTROY] icmp     1 12 src=10.224.1.34 dst=10.224.1.56 type=8 code=0 id=16622 src=10.224.1.56 "
                    + "dst=10.224.1.34 type=0 code=0 id=16622 id=2746674519 [USERSPACE] portid=2760666580 progname=conntrack"
            ))
        #expect(icmp.event == "DESTROY" && icmp.protocolNumber == 1 && icmp.timeout == 12 && icmp.state == nil)
        #expect(icmp.original.icmpType == 8 && icmp.original.icmpID == 16622 && icmp.reply.icmpType == 0)
        #expect(icmp.id == 2_746_674_519 && !icmp.unreplied && !icmp.assured)
        let counted = try #require(
            ConntrackLine(
                "tcp      6 113 SYN_SENT src=10.224.1.34 dst=10.233.53.172 sport=55416 dport=8080 packets=1 bytes=60 "
                    + "[UNREPLIED] src=10.224.1.56 dst=10.224.1.34 sport=8080 dport=55416 packets=0 bytes=0 mark=7 zone=3 "
                    + "delta-time=4 use=1 id=125454413"))
        #expect(counted.state == "SYN_SENT" && counted.unreplied && counted.mark == 7 && counted.zone == 3)
        #expect(counted.original.packets == 1 && counted.original.bytes == 60 && counted.reply.packets == 0)
        #expect(
            counted.reply.source == "10.224.1.56" && counted.reply.destinationPort == 55416 && counted.id == 125_454_413
        )
        #expect(ConntrackLine("conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.") == nil)
    }

    // MARK: The checks catch what they claim to

    static let seed = RecordedFlows.named("list, bridge-nf off", "ipv4", "SYN_SENT")

    /// The seed's line with `edit` applied to its text.
    static func edited(_ edit: (String) -> String) -> [UInt8] {
        Array(edit(String(decoding: line(seed.flow, kind: nil), as: UTF8.self)).utf8)
    }

    @Test(
        "A line whose tuples are not the kernel's fails against conntrack",
        arguments: [
            (#""port":49920"#, #""port":49921"#),
            (#""nat":{"ip":"10.224.1.56""#, #""nat":{"ip":"10.224.1.57""#),
            (#""transport":"tcp""#, #""transport":"6""#),
            (#""seen_reply":false"#, #""seen_reply":true"#),
            (#""id":2328799569"#, #""id":2328799560"#),
        ])
    func wrongAgainstConntrack(original: String, replacement: String) throws {
        let line = Self.edited { $0.replacingOccurrences(of: original, with: replacement) }
        #expect(line != Self.line(Self.seed.flow, kind: nil), "the edit must change the line")
        let value = try StrictJSON.parse(line)
        let conntrack = try #require(ConntrackLine(Self.seed.conntrackLine))
        #expect(!JSONLineSchema.conntrackProblems(value, entry: conntrack).isEmpty)
    }

    @Test(
        "A line that contradicts itself fails without any truth given",
        arguments: [
            (#""community_id":"1:"#, #""community_id":"1:A"#),
            (#","nat":{"ip":"10.224.1.56","port":8080}"#, ""),
            (#""transport":"tcp""#, #""transport":"6""#),
            (#""related":{"ip":["10.224.1.34","#, #""related":{"ip":["#),
        ])
    func wrongShape(original: String, replacement: String) throws {
        let line = Self.edited { $0.replacingOccurrences(of: original, with: replacement) }
        #expect(line != Self.line(Self.seed.flow, kind: nil), "the edit must change the line")
        #expect(!JSONLineSchema.selfConsistencyProblems(line).isEmpty)
    }

    static let framingFaultCases: [(String, [UInt8])] = {
        let newline: [UInt8] = [0x0a]
        let long = "{\"a\":\"" + String(repeating: "x", count: 8192) + "\"}"
        return [
            ("no newline at the end", Array("{\"a\":1}".utf8)),
            ("an empty line", newline),
            ("invalid UTF-8", Array("{\"a\":\"".utf8) + [0xff] + Array("\"}".utf8) + newline),
            ("a duplicate key", Array("{\"a\":1,\"a\":2}".utf8) + newline),
            ("a null", Array("{\"a\":null}".utf8) + newline),
            ("two objects on a line", Array("{\"a\":1}{\"b\":2}".utf8) + newline),
            ("a line of 8 KiB", Array(long.utf8) + newline),
        ]
    }()

    @Test("The framing is checked on the bytes written: each fault is found", arguments: Self.framingFaultCases)
    func framingFaults(fault: String, bytes: [UInt8]) {
        #expect(!JSONLineSchema.checkOutput(bytes).problems.isEmpty, "\(fault) went unnoticed")
    }

    @Test("The formatter's bytes for every recorded entry, back to back, pass the framing checks")
    func framingOfRealOutput() {
        var output: [UInt8] = []
        for entry in Self.entries { output += Self.line(entry.flow, kind: entry.kind) }
        let (values, problems) = JSONLineSchema.checkOutput(output)
        #expect(problems.isEmpty, "\(problems)")
        #expect(values.count == Self.entries.count)
        #expect(JSONLineSchema.eventOutputProblems(stdout: output).isEmpty)
        #expect(!JSONLineSchema.eventOutputProblems(stdout: output + Array("{\"a\":1}".utf8)).isEmpty)
    }
}
