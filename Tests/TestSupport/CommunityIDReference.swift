import Foundation
import Synchronization

/// CommunityIDReference computes Community ID v1 with an implementation of
/// its own, independent of ctwatch's: a short Python program on the standard
/// library alone (hashlib, socket, struct, base64), written from the
/// specification and mirroring the reference implementation (the PyPI package
/// `communityid` 1.5.0: ports for ICMP, TCP, UDP, ICMPv6 and SCTP only;
/// Zeek's ICMP type pairs, a two-way ICMP flow hashing type and counterpart
/// type, a one-way one type and code, unordered). Its answers are checked
/// against values the PyPI package computed (Tests/CTWatchCoreTests).
///
/// One `python3` process answers every question of a test run, one line each.
public final class CommunityIDReference: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let program = #"""
        import sys, hashlib, base64, socket, struct
        PAIRS = {1: {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17},
                 58: {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135,
                      139: 140, 140: 139, 144: 145, 145: 144}}
        def v1(proto, src, dst, sport, dport, seed):
            family = socket.AF_INET6 if ":" in src else socket.AF_INET
            s, d = socket.inet_pton(family, src), socket.inet_pton(family, dst)
            ports = proto in (1, 6, 17, 58, 132)
            one_way = False
            if proto in PAIRS:
                if sport in PAIRS[proto]:
                    dport = PAIRS[proto][sport]
                else:
                    one_way = True
            sp, dp = struct.pack("!H", sport), struct.pack("!H", dport)
            if not (one_way or s < d or (s == d and ports and sp < dp)):
                s, d, sp, dp = d, s, dp, sp
            data = struct.pack("!H", seed) + s + d + struct.pack("!BB", proto, 0)
            if ports:
                data += sp + dp
            return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()
        for line in sys.stdin:
            p, s, d, a, b, seed = line.split()
            sys.stdout.write(v1(int(p), s, d, int(a), int(b), int(seed)) + "\n")
            sys.stdout.flush()
        """#

    private struct Coprocess {
        var process: Process
        var input: FileHandle
        var output: FileHandle
        var pending: [UInt8] = []
    }

    private let coprocess = Mutex<Coprocess?>(nil)

    public static let shared = CommunityIDReference()

    public init() {}

    deinit {
        coprocess.withLock { state in
            try? state?.input.close()
            state?.process.terminate()
        }
    }

    /// The Community ID of a flow from `source` to `destination` (address text);
    /// for ICMP and ICMPv6 the ports are the message type and code.
    public func v1(
        transport: UInt8, source: String, destination: String, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0,
        seed: UInt16 = 0
    ) throws -> String {
        try coprocess.withLock { state in
            if state == nil { state = try Self.start() }
            let question = "\(transport) \(source) \(destination) \(sourcePort) \(destinationPort) \(seed)\n"
            try state!.input.write(contentsOf: Data(question.utf8))
            while true {
                if let newline = state!.pending.firstIndex(of: 0x0a) {
                    let answer = String(decoding: state!.pending[..<newline], as: UTF8.self)
                    state!.pending.removeSubrange(...newline)
                    return answer
                }
                // availableData returns what the pipe holds; read(upToCount:) would wait for all 4096 bytes.
                let chunk = state!.output.availableData
                guard !chunk.isEmpty else {
                    throw Failure(description: "the Community ID reference (python3) stopped answering")
                }
                state!.pending.append(contentsOf: chunk)
            }
        }
    }

    private static func start() throws -> Coprocess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", program]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start python3 for the Community ID reference: \(error)")
        }
        return Coprocess(process: process, input: input.fileHandleForWriting, output: output.fileHandleForReading)
    }
}
