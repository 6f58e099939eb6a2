import Conntrack
import Foundation
import TestSupport
import Testing

/// A handle holds its namespace from open to close: every read answers for
/// the namespace it was opened on, even after its name went to another one.
@Suite("A handle keeps the namespace it opened", .privileged)
struct NamespaceHandleTests {
    static let timestampSysctl = "net.netfilter.nf_conntrack_timestamp"

    @Test("after ip netns del X; ip netns add X, sysctls, interfaces and dumps still read the old X")
    func replacedNamespace() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            // Mark the first X three ways: a sysctl off its default, a link, entries.
            let set = try await Subprocess.run(
                "ip", ["netns", "exec", name, "sysctl", "-qw", "\(Self.timestampSysctl)=1"])
            try #require(set.status == 0, "\(set)")
            let link = try await Subprocess.run("ip", ["-n", name, "link", "add", "ctwold0", "type", "bridge"])
            try #require(link.status == 0, "\(link)")
            let insert = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "insert", "25"], timeout: 60)
            try #require(insert.status == 0, "\(insert)")

            let handle = try Conntrack(namespace: .named(name))
            #expect(try handle.sysctls([Self.timestampSysctl])[Self.timestampSysctl] == "1")

            let delete = try await Subprocess.run("ip", ["netns", "del", name])
            try #require(delete.status == 0, "\(delete)")
            let add = try await Subprocess.run("ip", ["netns", "add", name])
            try #require(add.status == 0, "\(add)")

            // The new X has the defaults: the name now means another namespace.
            let fresh = try Conntrack(namespace: .named(name))
            #expect(try fresh.sysctls([Self.timestampSysctl])[Self.timestampSysctl] == "0")
            #expect(try fresh.dump().isEmpty)

            // The handle still reads the old one, for every kind of read.
            #expect(try handle.sysctls([Self.timestampSysctl])[Self.timestampSysctl] == "1")
            #expect(try handle.interfaces().contains { $0.name == "ctwold0" })
            #expect(try handle.dump().count == 25)
            #expect(try handle.statistics().entries == 25)
        }
    }

    @Test("a subscription made after the name was reused still hears the old namespace")
    func subscriptionAfterReplace() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            let handle = try Conntrack(namespace: .named(name))
            // A process that stays in the old X, to make events there after its name is gone.
            let holder = try Subprocess.start("ip", ["netns", "exec", name, "sleep", "120"])
            defer { holder.signal(SIGKILL) }
            let oldNamespace = "/proc/\(holder.pid)/ns/net"
            let deadline = Date().addingTimeInterval(20)
            while namespaceInode(oldNamespace) != namespaceInode("/run/netns/\(name)") && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            _ = try await Subprocess.run("ip", ["netns", "del", name])
            _ = try await Subprocess.run("ip", ["netns", "add", name])

            var options = EventSubscription.Options()
            options.types = [.new]
            let recorder = EventRecorder(try handle.subscribe(options))
            let insert = try await Subprocess.run(
                "nsenter", ["--net=\(oldNamespace)", ctload, "insert", "10"], timeout: 60)
            try #require(insert.status == 0, "\(insert)")
            #expect(await recorder.wait(timeout: 30) { $0.count >= 10 })
            await recorder.stop()
        }
    }
}

/// `--netns` given something that is not a network namespace: one clear line, exit 2, never a hang.
@Suite("--netns given the wrong kind of file", .privileged)
struct NamespaceFileKindTests {
    static func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctwatch-nsfile-\(getpid())-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("a FIFO is rejected at once, not opened and waited on", arguments: ["list", "events", "doctor"])
    func fifo(command: String) async throws {
        try Privilege.require()
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo").path
        try #require(mkfifo(fifo, 0o600) == 0)
        // No writer ever opens it: a blocking open would wait forever.
        let result = try await CTWatchBinary.run([command, "--netns", fifo], timeout: 30)
        #expect(!result.timedOut, "ctwatch \(command) hung on a FIFO")
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "\(fifo) is a FIFO, not a network namespace file: give /run/netns/NAME or /proc/PID/ns/net"),
            "\(result.stderr)")
    }

    @Test(
        "another kind of namespace is named for what it is, not blamed on privileges",
        arguments: ["/proc/1/ns/mnt", "/proc/self/ns/mnt", "/proc/self/ns/uts"])
    func otherNamespace(path: String) async throws {
        try Privilege.require()
        let result = try await CTWatchBinary.run(["list", "--netns", path], timeout: 30)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        let kind = path.hasSuffix("mnt") ? "a mount namespace" : "a UTS namespace"
        #expect(result.stderr.contains("\(path) is \(kind), not a network namespace"), "\(result.stderr)")
        #expect(!result.stderr.contains("run as root"), "\(result.stderr)")
    }

    @Test("a regular file and a directory are named for what they are")
    func regularFileAndDirectory() async throws {
        try Privilege.require()
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("net").path
        try Data("not a namespace\n".utf8).write(to: URL(fileURLWithPath: file))
        for (path, what) in [(file, "a regular file"), (directory.path, "a directory")] {
            let result = try await CTWatchBinary.run(["list", "--netns", path], timeout: 30)
            #expect(result.status == 2, "\(result)")
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(
                result.stderr.contains(
                    "\(path) is \(what), not a network namespace file: give /run/netns/NAME or /proc/PID/ns/net"),
                "\(result.stderr)")
        }
    }

    @Test("a missing namespace still says how to list the names")
    func missing() async throws {
        try Privilege.require()
        let result = try await CTWatchBinary.run(
            ["list", "--netns", "ctwatch-no-such-namespace-\(getpid())"], timeout: 30)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("`ip netns list` shows the names"), "\(result.stderr)")
    }
}
