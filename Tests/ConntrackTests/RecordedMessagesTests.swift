import Conntrack
import Foundation
import Testing

/// Decoding netlink bytes the kernel really sent, without root or a socket.
///
/// Fixtures/netlink holds what `record.py` received in the node namespace of
/// `Scripts/testbed` (TCP and UDP calls through the ClusterIP DNAT, IPv4 and
/// IPv6, then one call that never got its SYN-ACK): the events (`events.bin`)
/// while `conntrack -E -o id` listened beside it (`events-conntrack-E.txt`),
/// then one dump (`dump.bin`) and `conntrack -L -o id` (`dump-conntrack-L.txt`).
/// conntrack-tools is the independent truth the decoded values are checked against.
@Suite("Recorded netlink messages")
struct RecordedMessagesTests {
    static func fixture(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/netlink"))
    }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: fixture(name, "bin"))) }

    static func lines(_ name: String) throws -> [ConntrackLine] {
        try String(contentsOf: fixture(name, "txt"), encoding: .utf8)
            .split(separator: "\n").map { try ConntrackLine(parsing: String($0)) }
    }

    /// The 16-byte header of the message at `offset`: (length, type, flags, seq, pid).
    static func header(_ bytes: [UInt8], at offset: Int) -> (
        length: Int, type: UInt16, flags: UInt16, seq: UInt32, pid: UInt32
    ) {
        func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        return (Int(u32(offset)), u16(offset + 4), u16(offset + 6), u32(offset + 8), u32(offset + 12))
    }

    @Test("a recorded dump decodes to what conntrack -L printed for the same entries")
    func dump() throws {
        let decoded = try Conntrack.decode(netlinkMessages: Self.bytes("dump"))
        let truth = try Self.lines("dump-conntrack-L")
        #expect(decoded.done, "the dump ends with NLMSG_DONE")
        #expect(!decoded.interrupted)
        #expect(decoded.entries.count == truth.count)
        #expect(truth.contains { $0.family == .ipv4 } && truth.contains { $0.family == .ipv6 })
        for line in truth {
            let entry = try #require(decoded.entries.first { $0.flow.id == line.id }, "no entry with id \(line.id)")
            line.check(entry.flow, compareTimeout: false)
        }
    }

    @Test("recorded events decode, in order, to what conntrack -E printed for the same messages")
    func events() throws {
        let decoded = try Conntrack.decode(netlinkMessages: Self.bytes("events"))
        let truth = try Self.lines("events-conntrack-E")
        #expect(!decoded.done)
        #expect(decoded.entries.map(\.kind) == truth.map(\.kind))
        #expect(decoded.entries.map(\.flow.id) == truth.map { Optional($0.id) })
        for (entry, line) in zip(decoded.entries, truth) {
            // Both listeners got the same message: even the timeout agrees.
            line.check(entry.flow, compareTimeout: true)
        }
        // The DNAT'ed TCP call that was answered went NEW, SYN_RECV, ESTABLISHED, ... in both families.
        #expect(decoded.entries.contains { $0.flow.family == .ipv6 && $0.flow.tcpState == .established })
        #expect(
            decoded.entries.contains {
                $0.flow.status.contains(.dstNAT) && $0.flow.original.destination != $0.flow.reply.source
            })
    }

    @Test("messages of another request (sequence number or port id) are skipped; ours are kept")
    func foreignMessagesSkipped() throws {
        let bytes = try Self.bytes("dump")
        let first = Self.header(bytes, at: 0)
        #expect(first.seq != 0 && first.pid != 0, "a dump reply names its request")
        let ours = try Conntrack.decode(netlinkMessages: bytes, sequence: first.seq, portID: first.pid)
        #expect(ours.entries.count == 6 && ours.done)

        let otherSequence = try Conntrack.decode(netlinkMessages: bytes, sequence: first.seq &+ 1, portID: first.pid)
        #expect(otherSequence.entries.isEmpty && !otherSequence.done, "NLMSG_DONE of another request does not end ours")
        let otherPort = try Conntrack.decode(netlinkMessages: bytes, sequence: first.seq, portID: first.pid &+ 1)
        #expect(otherPort.entries.isEmpty && !otherPort.done)

        // A stale reply of an earlier request ahead of ours, in one buffer: only ours counts.
        var stale = Array(bytes[0..<first.length])
        stale[8] &+= 1  // the sequence number's low byte
        let mixed = try Conntrack.decode(netlinkMessages: stale + bytes, sequence: first.seq, portID: first.pid)
        #expect(mixed.entries.count == 6)
        #expect(Set(mixed.entries.compactMap(\.flow.id)).count == 6, "the stale copy was not taken")
    }

    @Test("an NLMSG_ERROR answer becomes a ConntrackError with its errno")
    func errorMessage() throws {
        // nlmsghdr (36 bytes: type NLMSG_ERROR = 2), then nlmsgerr: error -EPERM and the offending header.
        var message: [UInt8] = []
        func u32(_ v: UInt32) { message += withUnsafeBytes(of: v.littleEndian, Array.init) }
        func u16(_ v: UInt16) { message += withUnsafeBytes(of: v.littleEndian, Array.init) }
        u32(36)
        u16(2)
        u16(0)
        u32(7)
        u32(99)
        u32(UInt32(bitPattern: -EPERM))
        u32(20)
        u16(0x0101)
        u16(0x0301)
        u32(7)
        u32(99)
        #expect(throws: ConntrackError.self) { try Conntrack.decode(netlinkMessages: message) }
        do {
            _ = try Conntrack.decode(netlinkMessages: message, sequence: 7, portID: 99)
            Issue.record("an error message decoded without error")
        } catch {
            #expect(error.errno == EPERM)
            #expect(error.isPermissionDenied)
        }
        // Another request's error is not ours.
        let foreign = try Conntrack.decode(netlinkMessages: message, sequence: 8, portID: 99)
        #expect(foreign.entries.isEmpty && !foreign.done)
    }

    @Test("NLM_F_DUMP_INTR on a message is reported")
    func dumpInterrupted() throws {
        var bytes = try Self.bytes("dump")
        bytes[6] |= 0x10  // nlmsg_flags low byte: NLM_F_DUMP_INTR = 0x10
        let decoded = try Conntrack.decode(netlinkMessages: bytes)
        #expect(decoded.interrupted)
        #expect(decoded.entries.count == 6)
    }
}

/// ConntrackLine is one line of `conntrack -L -o id` or `conntrack -E -o id`,
/// read by its own rules: the independent truth for the decoder.
struct ConntrackLine {
    var kind: EventKind?
    var family: IPAddress.Family
    var transport: UInt8
    var timeout: UInt32
    var state: String?
    var original: [String: String] = [:]
    var reply: [String: String] = [:]
    var unreplied = false
    var assured = false
    var mark: UInt32?
    var id: UInt32

    struct Malformed: Error { var line: String }

    init(parsing line: String) throws {
        var words = line.split(separator: " ").map(String.init)
        if let first = words.first, first.hasPrefix("[") {
            switch first {
            case "[NEW]": kind = .new
            case "[UPDATE]": kind = .update
            case "[DESTROY]": kind = .destroy
            default: throw Malformed(line: line)
            }
            words.removeFirst()
        }
        guard words.count > 3, let transport = UInt8(words[1]), let timeout = UInt32(words[2]) else {
            throw Malformed(line: line)
        }
        self.transport = transport
        self.timeout = timeout
        var rest = words.dropFirst(3)
        if let word = rest.first, !word.contains("=") && !word.hasPrefix("[") {
            state = word
            rest = rest.dropFirst()
        }
        var id: UInt32?
        for word in rest {
            if word == "[UNREPLIED]" {
                unreplied = true
                continue
            }
            if word == "[ASSURED]" {
                assured = true
                continue
            }
            let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "src", "dst", "sport", "dport":
                // The first src opens the reply tuple once the original has one.
                if pair[0] == "src" && original["src"] != nil {
                    reply["src"] = pair[1]
                } else if reply["src"] != nil {
                    reply[pair[0]] = pair[1]
                } else {
                    original[pair[0]] = pair[1]
                }
            case "mark": mark = UInt32(pair[1])
            case "id": id = UInt32(pair[1])
            default: break
            }
        }
        guard let id, let source = original["src"] else { throw Malformed(line: line) }
        self.id = id
        family = source.contains(":") ? .ipv6 : .ipv4
    }

    func check(_ flow: Flow, compareTimeout: Bool) {
        #expect(flow.family == family, "id \(id)")
        #expect(flow.transport.rawValue == transport, "id \(id)")
        #expect(flow.original.source.description == original["src"], "id \(id)")
        #expect(flow.original.destination.description == original["dst"], "id \(id)")
        #expect(flow.reply.source.description == reply["src"], "id \(id)")
        #expect(flow.reply.destination.description == reply["dst"], "id \(id)")
        func port(_ text: String?) -> UInt16 { text.flatMap { UInt16($0) } ?? 0 }
        #expect(flow.original.sourcePort == port(original["sport"]), "id \(id)")
        #expect(flow.original.destinationPort == port(original["dport"]), "id \(id)")
        #expect(flow.reply.sourcePort == port(reply["sport"]), "id \(id)")
        #expect(flow.reply.destinationPort == port(reply["dport"]), "id \(id)")
        #expect(flow.status.contains(.seenReply) == !unreplied, "id \(id)")
        #expect(flow.status.contains(.assured) == assured, "id \(id)")
        if let state { #expect(flow.tcpState?.description == state, "id \(id)") } else { #expect(flow.tcpState == nil) }
        if let mark { #expect(flow.mark == mark, "id \(id)") }
        if compareTimeout { #expect(flow.timeout == timeout, "id \(id)") }
    }
}
