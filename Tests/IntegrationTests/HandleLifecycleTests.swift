import Conntrack
import Foundation
import Testing
import TestSupport

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
                #expect(error?.description.contains("the handle was closed") == true, "\(what): \(String(describing: error))")
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
                return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == namespaceLink }.count
            }
            let before = heldOnNamespace()
            for _ in 0..<50 {
                let handle = try Conntrack(namespace: .named(name))
                _ = try handle.interfaces()
                _ = try handle.sysctls(["net.ipv4.ip_forward"])
                #expect(heldOnNamespace() == before + 1)
            }
            #expect(heldOnNamespace() == before, "descriptors of the namespace: before \(before), after \(heldOnNamespace())")
        }
    }
}

/// The loss record counts what the kernel dropped, not only how often it said so.
@Suite("Loss counted from the socket", .privileged, .serialized)
struct LossCountLibraryTests {
    @Test("an overrun's EventLoss carries the socket's drop count, which is positive and never goes down")
    func droppedMessages() async throws {
        try Privilege.require()
        let ctload = try OverrunTests.loadGenerator.get()
        try await ScratchNamespace.with { name in
            var options = EventSubscription.Options()
            options.types = [.new, .destroy]
            options.bufferSize = 4096
            options.maxBufferSize = 4096
            let subscription = try Conntrack(namespace: .named(name)).subscribe(options)
            let recorder = EventRecorder(subscription)
            let insert = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "insert", "20000"], timeout: 60)
            #expect(insert.status == 0, "\(insert)")
            _ = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "flush"], timeout: 60)
            #expect(await recorder.wait(timeout: 30) { events in events.contains { $0.kind == .destroy } })
            await recorder.stop()
            let losses = recorder.losses
            try #require(!losses.isEmpty, "a 4 KiB buffer cannot hold a 20000-event burst")
            let dropped = losses.compactMap(\.droppedMessages)
            #expect(dropped.count == losses.count, "every loss carries a drop count")
            #expect(dropped.allSatisfy { $0 > 0 }, "\(dropped)")
            #expect(dropped == dropped.sorted(), "the count never goes down: \(dropped)")
            // What arrived plus what the kernel says it dropped cannot exceed what was sent.
            #expect(Int(dropped.last ?? 0) + recorder.events.count <= 40000)
            // The running count goes on after the last report of the episode.
            let total = try #require(subscription.droppedMessages)
            #expect(total >= dropped.last ?? 0)
            #expect(Int(total) + recorder.events.count <= 40000)
        }
    }
}
