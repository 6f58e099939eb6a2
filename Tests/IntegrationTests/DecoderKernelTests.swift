import Conntrack
import Foundation
import TestSupport
import Testing

/// The ctnetlink decoder against libnetfilter_conntrack's parser
/// (TestSupport's LibraryReference) on what the kernel sends with every
/// optional part switched on: accounting, timestamps, zones, marks, TCP
/// states, ICMP and ICMPv6, NEW, UPDATE and DESTROY events, and a dump.
@Suite("The decoder against libnetfilter_conntrack on the real kernel", .privileged)
struct DecoderKernelTests {
    static let marker: UInt32 = 0x5EA1ED

    /// Records raw ctnetlink bytes: events until the DESTROY of the entry
    /// marked `marker` (argv[2]), then a dump; into argv[1].events and .dump.
    static let recorder = #"""
        import socket, struct, sys
        out, marker = sys.argv[1], int(sys.argv[2])
        NETLINK_NETFILTER = 12
        events = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        events.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        events.bind((0, 1 | 2 | 4))
        print("ready", file=sys.stderr, flush=True)
        mark = struct.pack("=HH", 8, 8) + struct.pack("!I", marker)
        data = bytearray()
        while True:
            message = events.recv(1 << 16)
            data += message
            _, kind = struct.unpack_from("=IH", message, 0)
            if kind == 0x0102 and mark in message:
                break
        open(out + ".events", "wb").write(data)
        dump = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        dump.bind((0, 0))
        for family in (2, 10):
            dump.send(struct.pack("=IHHII", 20, 0x0101, 1 | 0x300, 7, 0) + struct.pack("=BBH", family, 0, 0))
            data = bytearray()
            done = False
            while not done:
                chunk = dump.recv(1 << 17)
                data += chunk
                offset = 0
                while offset + 16 <= len(chunk):
                    length, kind = struct.unpack_from("=IH", chunk, offset)
                    done = done or kind in (2, 3)
                    offset += (length + 3) & ~3
            open(out + ".dump%d" % family, "wb").write(data)
        """#

    @Test("every event and dumped entry decodes as the library decodes it, optional parts included")
    func everything() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            func exec(_ arguments: [String], stdin: String? = nil) async throws {
                let result = try await Subprocess.run("ip", ["netns", "exec", name] + arguments, stdin: stdin)
                try #require(result.status == 0, "\(arguments.joined(separator: " ")): \(result)")
            }
            try await exec(["ip", "link", "set", "lo", "up"])
            try await exec([
                "sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1", "net.netfilter.nf_conntrack_timestamp=1",
            ])
            try await exec(["nft", "-f", "-"], stdin: ICMPReplyTests.trackLocalPackets)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctwdec-\(name)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let base = directory.appendingPathComponent("raw").path
            let recorder = try Subprocess.start(
                "ip", ["netns", "exec", name, "python3", "-c", Self.recorder, base, String(Self.marker)])
            #expect(await recorder.waitForStderr(containing: "ready", timeout: 60), "the recorder did not start")

            // Real packets: ICMP and ICMPv6 echo (counted), a TCP call refused by RST.
            try await exec(["ping", "-c", "2", "-i", "0.2", "127.0.0.1"])
            try await exec(["ping", "-6", "-c", "1", "::1"])
            _ = try await Subprocess.run(
                "ip",
                ["netns", "exec", name, "python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"])
            // Entries made by hand: a zone, a mark, TCP states, IPv6, an update, deletions.
            let tcp = ["-p", "tcp", "-s", "10.224.1.34", "-d", "10.233.53.172", "--sport", "40000", "--dport", "80"]
            try await exec(
                ["conntrack", "-I"] + tcp + [
                    "--state", "ESTABLISHED", "-u", "ASSURED,SEEN_REPLY", "-t", "300", "--zone", "7", "--mark", "42",
                    "--reply-src", "10.224.1.56", "--reply-dst", "10.224.1.34", "--reply-port-src", "8080",
                    "--reply-port-dst", "40000",
                ])
            let udp = ["-p", "udp", "-s", "fd00:224:1::34", "-d", "fd00:233::172", "--sport", "5353", "--dport", "53"]
            try await exec(["conntrack", "-I"] + udp + ["-t", "300"])
            // (conntrack -U cannot name a zone: the update goes to the IPv6 entry.)
            try await exec(["conntrack", "-U"] + udp + ["--mark", "43"])
            try await exec(["conntrack", "-D"] + tcp + ["--zone", "7"])
            try await exec([
                "conntrack", "-I", "-p", "udp", "-s", "192.0.2.1", "-d", "192.0.2.2", "--sport", "1", "--dport", "2",
                "-t", "300", "--mark", String(Self.marker),
            ])
            try await exec(["conntrack", "-D", "--mark", String(Self.marker)])
            let recorded = await recorder.wait(timeout: 60)
            try #require(recorded.status == 0, "the recorder: \(recorded)")

            var all: [DecodedEntry] = []
            for file in ["events", "dump2", "dump10"] {
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(base).\(file)")))
                let decoded = LibraryReference.comparable(try Conntrack.decode(netlinkMessages: bytes).entries)
                let reference = LibraryReference.decode(netlinkMessages: bytes)
                #expect(decoded.count == reference.count, "\(file)")
                for (ours, theirs) in zip(decoded, reference) {
                    #expect(ours == theirs, "\(file): \(ours) against the library's \(theirs)")
                }
                all += decoded
            }
            // What the run was meant to cover did come.
            let flows = all.map(\.flow)
            #expect(Set(all.map(\.kind)) == [.new, .update, .destroy])
            #expect(flows.contains { $0.zone == 7 && $0.mark == 42 && $0.tcpState == .established })
            #expect(all.contains { $0.kind == .update && $0.flow.mark == 43 && $0.flow.family == .ipv6 })
            #expect(flows.contains { ($0.counters?.originalPackets ?? 0) >= 2 && $0.icmp?.type == 8 })
            #expect(flows.contains { $0.family == .ipv6 && $0.icmp?.type == 128 })
            #expect(flows.contains { $0.startNanoseconds != nil })
            #expect(flows.contains { $0.stopNanoseconds != nil })
        }
    }
}
