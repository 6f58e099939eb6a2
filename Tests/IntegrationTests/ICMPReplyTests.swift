import Conntrack
import Foundation
import TestSupport
import Testing

/// The reply tuple of ICMP and ICMPv6 entries, as the kernel made it from real
/// packets, held against `conntrack -L -o id` for the same entries.
///
/// A scratch namespace with only `lo` and an nftables rule that makes conntrack
/// track locally sent packets; one raw request of every type the kernel creates
/// entries for (nf_conntrack_proto_icmp.c and _icmpv6.c: echo, timestamp,
/// information and address mask requests; echo request and node information
/// query). The kernel inverts each into the reply tuple itself.
@Suite("ICMP reply tuples on the real kernel", .privileged)
struct ICMPReplyTests {
    /// (family, request type), each sent with ICMP id 1000 + type.
    static let requests: [(family: IPAddress.Family, type: UInt8)] = [
        (.ipv4, 8), (.ipv4, 13), (.ipv4, 15), (.ipv4, 17), (.ipv6, 128), (.ipv6, 139),
    ]

    /// Sends one ICMP message per `4:type:id` or `6:type:id` argument to the
    /// loopback address (the kernel fills in the ICMPv6 checksum itself).
    static let sender = #"""
        import socket, struct, sys
        def checksum(data):
            total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
            total = (total >> 16) + (total & 0xffff)
            total += total >> 16
            return ~total & 0xffff
        for argument in sys.argv[1:]:
            family, kind, ident = (int(part) for part in argument.split(":"))
            message = struct.pack("!BBHHH", kind, 0, 0, ident, 1) + bytes(16)
            if family == 4:
                message = message[:2] + struct.pack("!H", checksum(message)) + message[4:]
                sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                sock.sendto(message, ("127.0.0.1", 0))
            else:
                sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
                sock.sendto(message, ("::1", 0))
        """#

    static let trackLocalPackets = """
        table inet ctwatch_test {
            chain output { type filter hook output priority 0; ct state new counter; }
        }
        """

    /// conntrack's line with its padding, `mark=0` and `use=N` taken out (ctwatch prints neither).
    /// A listing line without what is allowed to differ: column padding,
    /// `mark=0`, `use=`, and the seconds left (the third field), which count
    /// down between the two listings.
    static func normalized(_ line: String) -> String {
        var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            .filter { $0 != "mark=0" && !$0.hasPrefix("use=") }
        if fields.count > 2 { fields[2] = "TIMEOUT" }
        return fields.joined(separator: " ")
    }

    @Test("list prints each ICMP reply tuple exactly as conntrack -L does, and the library decodes the kernel's values")
    func replyTuples() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let lo = try await Subprocess.run("ip", ["-n", name, "link", "set", "lo", "up"])
            try #require(lo.status == 0, "\(lo)")
            // The entries must outlive the listings below on a busy machine (the default is 30 s).
            let timeouts = try await Subprocess.run(
                "ip",
                [
                    "netns", "exec", name, "sysctl", "-qw", "net.netfilter.nf_conntrack_icmp_timeout=3600",
                    "net.netfilter.nf_conntrack_icmpv6_timeout=3600",
                ])
            try #require(timeouts.status == 0, "\(timeouts)")
            let rule = try await Subprocess.run(
                "ip", ["netns", "exec", name, "nft", "-f", "-"], stdin: Self.trackLocalPackets)
            try #require(rule.status == 0, "\(rule)")
            let arguments = Self.requests.map { "\($0.family == .ipv4 ? 4 : 6):\($0.type):\(1000 + Int($0.type))" }
            let send = try await Subprocess.run(
                "ip", ["netns", "exec", name, "python3", "-c", Self.sender] + arguments)
            try #require(send.status == 0, "\(send)")

            var truth: [ConntrackLine] = []
            for family in ["ipv4", "ipv6"] {
                let listed = try await Subprocess.run(
                    "ip", ["netns", "exec", name, "conntrack", "-L", "-o", "id", "-f", family])
                try #require(listed.status == 0, "\(listed)")
                truth += listed.stdoutLines.compactMap(ConntrackLine.init)
            }
            let text = try await CTWatchBinary.run(["list", "--netns", name])
            try #require(text.status == 0, "\(text)")
            let flows = try Conntrack(namespace: .named(name)).dump()

            for request in Self.requests {
                let id = UInt16(1000 + Int(request.type))
                let line = try #require(
                    truth.first { $0.original.icmpType == request.type && $0.original.icmpID == id },
                    "no entry for type \(request.type): \(truth)")
                let entryID = try #require(line.id)
                let printed = text.stdoutLines.filter { $0.hasSuffix(" id=\(entryID)") }.map(Self.normalized)
                #expect(printed == [Self.normalized(line.text)], "type \(request.type)")

                let flow = try #require(flows.first { $0.id == entryID })
                let reply = try #require(flow.replyICMP, "type \(request.type): no reply ICMP decoded")
                #expect(
                    reply.type == line.reply.icmpType && reply.code == line.reply.icmpCode
                        && reply.id == line.reply.icmpID,
                    "type \(request.type): \(reply) against \(line)")
            }
            // The two the issue names, literally.
            #expect(
                text.stdout.contains("type=139 code=0 id=1139 [UNREPLIED] src=::1 dst=::1 type=140 code=0 id=1139 "))
            #expect(text.stdout.contains("src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=1008 "))
        }
    }
}
