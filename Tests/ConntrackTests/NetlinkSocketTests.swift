import Foundation
import Testing

@testable import Conntrack

/// The socket handle owns its descriptor: closed once, unusable after.
/// rtnetlink needs no privilege, so this runs anywhere.
@Suite("NetlinkSocket ownership")
struct NetlinkSocketTests {
    @Test("close() is idempotent and a closed socket's calls throw EBADF")
    func closeOnce() throws {
        let socket = try NetlinkSocket(bus: routeBus, operation: "open an rtnetlink socket")
        #expect(socket.isOpen)
        #expect(socket.portID != 0, "the kernel assigned a port id at bind")
        let descriptor = try socket.withUnsafeHandle(operation: "peek") { $0 }
        #expect(descriptor >= 0)
        socket.close()
        socket.close()
        #expect(!socket.isOpen)
        #expect(throws: ConntrackError.self) { try socket.withUnsafeHandle(operation: "peek") { $0 } }
        do {
            _ = try socket.drops()
            Issue.record("a closed socket answered")
        } catch {
            #expect(error.errno == EBADF)
        }
    }

    @Test("a request's answer is matched to it: interfaces over a fresh socket, twice on one socket")
    func interfacesTwice() throws {
        let socket = try NetlinkSocket(bus: routeBus, operation: "open an rtnetlink socket")
        defer { socket.close() }
        let first = try Requests.interfaces(socket: socket)
        let second = try Requests.interfaces(socket: socket)
        #expect(first.contains { $0.name == "lo" })
        #expect(first.map(\.name) == second.map(\.name))
    }

    @Test(
        "a /proc/PID/ns path names its kind",
        arguments: [
            ("/proc/1/ns/mnt", "a mount namespace"), ("/proc/self/ns/net", "a network namespace"),
            ("/proc/42/ns/pid_for_children", "a PID namespace"), ("/run/netns/mnt", nil), ("/proc/1/ns/unknown", nil),
        ] as [(String, String?)])
    func procNamespaceKind(path: String, kind: String?) {
        #expect(HeldNamespace.procNamespaceKind(path) == kind)
    }
}
