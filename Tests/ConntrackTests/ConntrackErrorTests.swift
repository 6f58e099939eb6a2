import Conntrack
import Foundation
import Testing

/// Error messages say what failed and what to do, on one line.
@Suite("ConntrackError")
struct ConntrackErrorTests {
    @Test("no privilege: the capability and the remedy")
    func permission() {
        let error = ConntrackError(operation: "dump the conntrack table", errno: EPERM)
        #expect(error.isPermissionDenied)
        #expect(
            error.description == "dump the conntrack table: Operation not permitted: needs CAP_NET_ADMIN (run as root)")
    }

    @Test("a kernel without ctnetlink")
    func noCtnetlink() {
        let error = ConntrackError(operation: "open a ctnetlink socket", errno: EPROTONOSUPPORT)
        #expect(error.description.hasSuffix("this kernel has no ctnetlink: load nf_conntrack_netlink or build it in"))
    }

    @Test("a missing namespace, by name and by path")
    func missingNamespace() {
        #expect(throws: ConntrackError.self) { try Conntrack(namespace: .named("ctwatch-test-no-such-namespace")) }
        do {
            _ = try Conntrack(namespace: .named("ctwatch-test-no-such-namespace"))
        } catch let error as ConntrackError {
            #expect(error.errno == ENOENT)
            #expect(
                error.description.contains(
                    "no namespace named ctwatch-test-no-such-namespace: `ip netns list` shows the names"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        do {
            _ = try Conntrack(namespace: .path("/proc/self/status"))
        } catch let error as ConntrackError {
            #expect(error.errno == EINVAL || error.errno == EPERM, "\(error)")
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
