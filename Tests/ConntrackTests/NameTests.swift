import Conntrack
import Foundation
import Testing

/// The kernel's headers, as installed by linux-libc-dev: the source of truth for bit and enum values.
fileprivate enum KernelHeaders {
    static func read(_ name: String) throws -> String {
        let path = "/usr/include/linux/netfilter/" + name
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw HeaderMissing(path: path)
        }
        return text
    }

    struct HeaderMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) is missing: install linux-libc-dev (pulled in by libc6-dev)" }
    }

    /// `IPS_<NAME>_BIT = <n>` of nf_conntrack_common.h.
    static func statusBits() throws -> [String: Int] {
        let text = try read("nf_conntrack_common.h")
        var bits: [String: Int] = [:]
        let pattern = try NSRegularExpression(pattern: #"IPS_([A-Z_]+)_BIT\s*=\s*(\d+)"#)
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            bits[name] = Int(text[Range(match.range(at: 2), in: text)!])
        }
        return bits
    }

    /// The members of `enum tcp_conntrack` in nf_conntrack_tcp.h, in order (their values).
    static func tcpStates() throws -> [String] {
        let text = try read("nf_conntrack_tcp.h")
        guard let start = text.range(of: "enum tcp_conntrack {"), let end = text[start.upperBound...].range(of: "};")
        else {
            return []
        }
        return text[start.upperBound..<end.lowerBound].split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("TCP_CONNTRACK_") else { return nil }
            return String(trimmed.dropFirst("TCP_CONNTRACK_".count).prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        }
    }
}

@Suite("FlowStatus")
struct FlowStatusTests {
    @Test("Every flag sits on the bit the kernel header gives its IPS_*_BIT")
    func bitsMatchKernelHeader() throws {
        let bits = try KernelHeaders.statusBits()
        #expect(bits.count >= 15)
        for (flag, name) in FlowStatus.names {
            let bit = try #require(bits[name], "IPS_\(name)_BIT not in the kernel header")
            #expect(flag.rawValue == 1 << bit, "\(name)")
        }
    }

    @Test("Names are listed in bit order, one per bit, and parse back (case-insensitive)")
    func namesRoundTrip() {
        let raw = FlowStatus.names.map(\.0.rawValue)
        #expect(raw == raw.sorted())
        #expect(Set(raw).count == raw.count)
        #expect(raw.allSatisfy { $0.nonzeroBitCount == 1 })
        for (flag, name) in FlowStatus.names {
            #expect(FlowStatus(name: name) == flag)
            #expect(FlowStatus(name: name.lowercased()) == flag)
        }
    }

    @Test(
        "Names that are not flags are rejected",
        arguments: ["UNREPLIED", "", "SEEN-REPLY", "SEEN_REPLY ", "IPS_SEEN_REPLY", "DNAT"])
    func unknownNames(name: String) {
        #expect(FlowStatus(name: name) == nil)
    }

    @Test(
        "flagNames of recorded statuses",
        arguments: [
            // SYN_SENT through the DNAT rule (bridge-nf off): status 424.
            (FlowStatus(rawValue: 424), ["CONFIRMED", "DST_NAT", "SRC_NAT_DONE", "DST_NAT_DONE"]),
            // ESTABLISHED/TIME_WAIT through DNAT: 430.
            (
                FlowStatus(rawValue: 430),
                ["SEEN_REPLY", "ASSURED", "CONFIRMED", "DST_NAT", "SRC_NAT_DONE", "DST_NAT_DONE"]
            ),
            // Hairpin (DNAT + MASQUERADE): 446.
            (
                FlowStatus(rawValue: 446),
                ["SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT", "SRC_NAT_DONE", "DST_NAT_DONE"]
            ),
            // DESTROY of an expired UDP DNAT flow: 938.
            (
                FlowStatus(rawValue: 938),
                ["SEEN_REPLY", "CONFIRMED", "DST_NAT", "SRC_NAT_DONE", "DST_NAT_DONE", "DYING"]
            ),
            (FlowStatus(rawValue: 0), []),
            (
                FlowStatus(rawValue: 0xFFFF),
                [
                    "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT", "SEQ_ADJUST",
                    "SRC_NAT_DONE", "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT", "TEMPLATE", "UNTRACKED",
                    "HELPER", "OFFLOAD", "HW_OFFLOAD",
                ]
            ),
            // Bits the kernel may add later have no name and are left out.
            (FlowStatus(rawValue: 0x1_0000 | 2), ["SEEN_REPLY"]),
        ])
    func flagNames(status: FlowStatus, names: [String]) {
        #expect(status.flagNames == names)
    }

    @Test("The dump filter for DNAT'ed unreplied flows is DST_NAT under the mask DST_NAT|SEEN_REPLY")
    func dnatUnrepliedFilter() {
        #expect(FlowFilter.dnatUnrepliedStatus.value == .dstNAT)
        #expect(FlowFilter.dnatUnrepliedStatus.mask == [.dstNAT, .seenReply])
    }
}

@Suite("TCPState")
struct TCPStateTests {
    @Test("Raw values and names follow enum tcp_conntrack (LISTEN is printed SYN_SENT2)")
    func matchesKernelEnum() throws {
        let members = try KernelHeaders.tcpStates()
        #expect(
            members.prefix(10) == [
                "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
                "LAST_ACK", "TIME_WAIT", "CLOSE", "LISTEN",
            ])
        for (value, member) in members.prefix(10).enumerated() {
            let state = try #require(TCPState(rawValue: UInt8(value)))
            #expect(state.description == (member == "LISTEN" ? "SYN_SENT2" : member))
        }
        #expect(TCPState.allCases.count == 10)
        // TCP_CONNTRACK_MAX and the internal values past it are not states an entry holds.
        #expect(TCPState(rawValue: 10) == nil)
        #expect(TCPState(rawValue: 255) == nil)
    }

    @Test(
        "Names as conntrack prints them",
        arguments: [
            (TCPState.none, "NONE"), (.synSent, "SYN_SENT"), (.synRecv, "SYN_RECV"), (.established, "ESTABLISHED"),
            (.finWait, "FIN_WAIT"), (.closeWait, "CLOSE_WAIT"), (.lastAck, "LAST_ACK"), (.timeWait, "TIME_WAIT"),
            (.close, "CLOSE"), (.synSent2, "SYN_SENT2"),
        ])
    func names(state: TCPState, name: String) {
        #expect(state.description == name)
        #expect("\(state)" == name)
    }
}

@Suite("TransportProtocol")
struct TransportProtocolTests {
    @Test(
        "Names are the lowercase IANA keywords ECS uses",
        arguments: [
            (TransportProtocol.icmp, "icmp", UInt8(1)), (.igmp, "igmp", 2), (.tcp, "tcp", 6), (.udp, "udp", 17),
            (.dccp, "dccp", 33), (.gre, "gre", 47), (.icmpv6, "ipv6-icmp", 58), (.sctp, "sctp", 132),
            (.udplite, "udplite", 136),
        ])
    func names(transport: TransportProtocol, name: String, number: UInt8) {
        #expect(transport.rawValue == number)
        #expect(transport.description == name)
        #expect(TransportProtocol(name: name) == transport)
        #expect(TransportProtocol(name: name.uppercased()) == transport)
        #expect(TransportProtocol(name: String(number)) == transport)
    }

    @Test("Protocols without an IANA keyword print their number")
    func unnamed() {
        #expect(TransportProtocol(rawValue: 99).description == "99")
        #expect(TransportProtocol(rawValue: 148).description == "148")
        #expect(TransportProtocol(rawValue: 255).description == "255")
    }

    @Test(
        "icmpv6 and icmp6, as conntrack and people spell it, name protocol 58",
        arguments: ["icmpv6", "icmp6", "ICMPv6", "ipv6-icmp", "58"])
    func icmpv6Spellings(name: String) {
        #expect(TransportProtocol(name: name) == .icmpv6)
    }

    @Test(
        "Unknown names and out-of-range numbers are rejected",
        arguments: ["", "tcpp", "ipv7", "256", "-1", "1000", "6 ", " 6", "0x6"])
    func invalid(name: String) {
        #expect(TransportProtocol(name: name) == nil)
    }

    @Test("Only TCP, UDP, DCCP, SCTP and UDP-Lite carry ports")
    func hasPorts() {
        let ported = (0...255).map { TransportProtocol(rawValue: UInt8($0)) }.filter(\.hasPorts).map(\.rawValue)
        #expect(ported == [6, 17, 33, 132, 136])
    }
}

@Suite("NetworkNamespace")
struct NetworkNamespaceTests {
    @Test(
        "--netns values: a name, or a path when it holds a slash",
        arguments: [
            ("", NetworkNamespace.current, String?.none),
            ("node", .named("node"), "/run/netns/node"),
            ("ctwt123x1-node", .named("ctwt123x1-node"), "/run/netns/ctwt123x1-node"),
            ("/proc/1234/ns/net", .path("/proc/1234/ns/net"), "/proc/1234/ns/net"),
            ("/run/netns/node", .path("/run/netns/node"), "/run/netns/node"),
            ("./netns-file", .path("./netns-file"), "./netns-file"),
            ("ns/x", .path("ns/x"), "ns/x"),
        ])
    func parsing(argument: String, namespace: NetworkNamespace, file: String?) {
        #expect(NetworkNamespace(argument: argument) == namespace)
        #expect(namespace.filePath == file)
    }

    @Test("Descriptions name the namespace for error messages")
    func descriptions() {
        #expect(NetworkNamespace.current.description == "the current network namespace")
        #expect(NetworkNamespace.named("node").description == "network namespace node")
        #expect(NetworkNamespace.path("/proc/1/ns/net").description == "network namespace /proc/1/ns/net")
    }
}
