import Conntrack
import Foundation
import TestSupport
import Testing

/// What a handle tells about itself: whether its namespace's name still means
/// what it holds, and that it is closed once closed.
@Suite("Handle lifecycle on the real kernel", .privileged)
struct HandleLifecycleTests {
    @Test("namespaceStatus follows the name: attached, then deleted, then replaced")
    func namespaceStatus() async throws {
        try Privilege.require()
        #expect(try Conntrack().namespaceStatus() == .current)
        try await ScratchNamespace.with { name in
            let byName = try Conntrack(namespace: .named(name))
            let byPath = try Conntrack(namespace: .path("/run/netns/\(name)"))
            #expect(byName.namespaceStatus() == .attached)
            #expect(byPath.namespaceStatus() == .attached)

            let delete = try await Subprocess.run("ip", ["netns", "del", name])
            try #require(delete.status == 0, "\(delete)")
            #expect(byName.namespaceStatus() == .deleted)
            // Deleted by name, still held: the handle still answers.
            #expect(try byName.statistics().entries == 0)

            let add = try await Subprocess.run("ip", ["netns", "add", name])
            try #require(add.status == 0, "\(add)")
            #expect(byName.namespaceStatus() == .replaced)
            #expect(byPath.namespaceStatus() == .replaced)
            #expect(try Conntrack(namespace: .named(name)).namespaceStatus() == .attached)
        }
    }

    @Test("close() is idempotent, and a closed handle's calls throw a clear error")
    func close() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            let handle = try Conntrack(namespace: .named(name))
            let subscription = try handle.subscribe()
            handle.close()
            handle.close()
            for (what, call) in [
                ("dump", { _ = try handle.dump() }),
                ("statistics", { _ = try handle.statistics() }),
                ("interfaces", { _ = try handle.interfaces() }),
                ("sysctls", { _ = try handle.sysctls(["net.ipv4.ip_forward"]) }),
                ("subscribe", { _ = try handle.subscribe() }),
            ] as [(String, () throws -> Void)] {
                let error = #expect(throws: ConntrackError.self, "\(what) on a closed handle") { try call() }
                #expect(error?.errno == EBADF, "\(what): \(String(describing: error))")
                #expect(
                    error?.description.contains("the handle was closed") == true,
                    "\(what): \(String(describing: error))")
            }
            // A subscription made before goes on until it is cancelled.
            #expect(subscription.error == nil)
            subscription.cancel()
        }
    }

    @Test("handles opened and dropped in a loop leave no descriptor behind")
    func noDescriptorLeak() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { name in
            // Other tests of this process open descriptors meanwhile, so count
            // only what can be ours: descriptors of this very namespace, which
            // every handle holds from open to close.
            // A namespace file opened by its path reads back as that path.
            let namespaceLink = "/run/netns/\(name)"
            func heldOnNamespace() -> Int {
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
                return fds.filter {
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == namespaceLink
                }.count
            }
            let before = heldOnNamespace()
            for _ in 0..<50 {
                let handle = try Conntrack(namespace: .named(name))
                _ = try handle.interfaces()
                _ = try handle.sysctls(["net.ipv4.ip_forward"])
                #expect(heldOnNamespace() == before + 1)
            }
            #expect(
                heldOnNamespace() == before,
                "descriptors of the namespace: before \(before), after \(heldOnNamespace())")
        }
    }
}
