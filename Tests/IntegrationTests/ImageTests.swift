import Foundation
import TestSupport
import Testing

/// The OCI image of `Scripts/image`, unpacked and run the way the DaemonSet runs
/// it: in the node's network namespace (here the test bed's), in a mount and PID
/// namespace rooted in the image with /proc mounted and nothing else (no /dev, no
/// /sys), as root with CAP_NET_ADMIN alone. `.ci/run` builds the image once and
/// sets `CTWATCH_IMAGE`; elsewhere the suite runs when it is set.
@Suite(
    "the image, run with NET_ADMIN alone", .privileged, .tools("buildah", "unshare", "capsh"),
    .enabled(
        if: Privilege.inCI || ContainerImage.name != nil,
        "needs CTWATCH_IMAGE: build the image with Scripts/image, then CTWATCH_IMAGE=ctwatch:latest Scripts/test"))
struct ImageTests {
    /// Runs `ctwatch arguments...` twice in the bed's node namespace: from the image,
    /// and the build under test outside it (entered the same way, with every capability).
    static func both(_ root: String, _ bed: TestBed, _ arguments: [String]) async throws -> (
        image: ProcessResult, outside: ProcessResult
    ) {
        let image = try await ContainerImage.run(root: root, namespace: bed.node, arguments)
        let outside = try await Subprocess.run(
            "ip", ["netns", "exec", bed.node, try CTWatchBinary.path()] + arguments, timeout: 60)
        return (image, outside)
    }

    /// The output with what may change between two runs a moment apart masked: times
    /// (`@timestamp`, `event.start`), durations, an entry's seconds left (the
    /// second may turn between the runs: 116 then 115), and the table's entry count.
    static func comparable(_ text: String) -> String {
        text.replacing(/entries(\s+)\d+\//) { "entries\($0.output.1)N/" }
            .replacing(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/, with: "TIME")
            .replacing(/"duration":\d+/, with: #""duration":N"#)
            .replacing(/"timeout":\d+/, with: #""timeout":N"#)
    }

    static func expectSame(
        _ runs: (image: ProcessResult, outside: ProcessResult), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            runs.image.status == runs.outside.status, "\(runs.image)\n\(runs.outside)", sourceLocation: sourceLocation)
        #expect(
            comparable(runs.image.stdout) == comparable(runs.outside.stdout), "\(runs.image)\n\(runs.outside)",
            sourceLocation: sourceLocation)
    }

    @Test("doctor and stuck run from the image and print what they print outside it (exit 0, then 1)")
    func doctorAndStuck() async throws {
        try Privilege.require()
        let image = try ContainerImage.requireName()
        try await ContainerImage.withRootFilesystem(image) { root in
            try await TestBed.with { bed in
                let healthyDoctor = try await Self.both(root, bed, ["doctor"])
                #expect(healthyDoctor.image.status == 0, "nothing to fix in a healthy bed: \(healthyDoctor.image)")
                #expect(
                    healthyDoctor.image.stdout.contains("net.bridge.bridge-nf-call-iptables"), "\(healthyDoctor.image)")
                Self.expectSame(healthyDoctor)

                let nothingStuck = try await Self.both(
                    root, bed, ["stuck", "--cidr", "10.224.1.0/24", "--min-age", "0"])
                #expect(nothingStuck.image.status == 0, "\(nothingStuck.image)")
                Self.expectSame(nothingStuck)

                try await bed.bridgeNF(false)
                let call = try await bed.call()
                #expect(call.status != 0, "the call must time out with bridge-nf off: \(call)")

                let brokenDoctor = try await Self.both(root, bed, ["doctor"])
                #expect(brokenDoctor.image.status == 1, "\(brokenDoctor.image)")
                #expect(brokenDoctor.image.stdout.contains("[error] net.bridge.bridge-nf-call-iptables"))
                Self.expectSame(brokenDoctor)

                for format in [[], ["--json"]] {
                    let stuck = try await Self.both(
                        root, bed, ["stuck", "--cidr", "10.224.1.0/24", "--min-age", "0"] + format)
                    #expect(stuck.image.status == 1, "exit 1: stuck flows found: \(stuck.image)")
                    #expect(stuck.image.stdout.contains("bridge-nf-call-iptables-disabled"), "\(stuck.image)")
                    Self.expectSame(stuck)
                }
            }
        }
    }

    @Test("ctwatch in the image holds CAP_NET_ADMIN and nothing else, in every set")
    func capabilities() async throws {
        try Privilege.require()
        let image = try ContainerImage.requireName()
        try await ContainerImage.withRootFilesystem(image) { root in
            try await ScratchNamespace.with { name in
                let events = try ContainerImage.start(root: root, namespace: name, ["events", "-v"])
                defer { events.signal(SIGKILL) }
                try #require(await events.waitForStderr(containing: "subscribed", timeout: 30), "\(events.stderrSoFar)")
                // `ip netns exec` execs unshare; its one child is capsh, exec'ed into /ctwatch.
                let children = try String(
                    contentsOfFile: "/proc/\(events.pid)/task/\(events.pid)/children", encoding: .utf8)
                let pid = try #require(Int32(children.trimmingCharacters(in: .whitespaces)), "children: \(children)")
                let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                var sets: [String: String] = [:]
                for line in status.split(separator: "\n") where line.hasPrefix("Cap") {
                    let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                    sets[parts[0]] = parts[1]
                }
                let netAdmin = "0000000000001000"  // 1 << CAP_NET_ADMIN (12)
                #expect(
                    sets == [
                        "CapEff": netAdmin, "CapPrm": netAdmin, "CapBnd": netAdmin, "CapInh": "0000000000000000",
                        "CapAmb": "0000000000000000",
                    ], "\(status)")
                let command = try String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
                #expect(command == "ctwatch\n")
                // unshare ignores SIGTERM while it waits: the signal goes to ctwatch, as a runtime's would.
                #expect(kill(pid, SIGTERM) == 0)
                let stopped = await events.wait(timeout: 30)
                #expect(!stopped.timedOut && stopped.status == 0, "events ends with 0 on SIGTERM: \(stopped)")
            }
        }
    }

    @Test(
        "without CAP_NET_ADMIN the image's ctwatch exits 2 with one line that names the privilege",
        arguments: [["doctor"], ["stuck", "--cidr", "10.224.1.0/24"]])
    func withoutNetAdmin(_ arguments: [String]) async throws {
        try Privilege.require()
        let image = try ContainerImage.requireName()
        try await ContainerImage.withRootFilesystem(image) { root in
            try await ScratchNamespace.with { name in
                let result = try await ContainerImage.run(root: root, namespace: name, keep: [], arguments)
                #expect(result.status == 2, "\(result)")
                #expect(result.stdout.isEmpty, "\(result)")
                #expect(result.stderrLines.count == 1, "\(result)")
                #expect(
                    result.stderr.hasPrefix("ctwatch: error: ") && result.stderr.contains("CAP_NET_ADMIN"), "\(result)")
            }
        }
    }

    @Test(
        "the image holds /ctwatch, /etc/nsswitch.conf and the shared libraries ldd names for it, nothing else, in 60 MB"
    )
    func contents() async throws {
        try Privilege.require()
        let image = try ContainerImage.requireName()
        try await ContainerImage.withRootFilesystem(image) { root in
            let ldd = try await Subprocess.run("ldd", [root + "/ctwatch"])
            try #require(ldd.status == 0, "\(ldd)")
            #expect(!ldd.stdout.contains("not found"), "\(ldd)")
            let libraries = Set(
                ldd.stdoutLines.compactMap { line in
                    line.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.hasPrefix("/") }
                        .map { ($0 as NSString).lastPathComponent }
                })
            var files: [String] = []
            let walk = FileManager.default.enumerator(atPath: root)
            while let path = walk?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let full = root + "/" + path
                guard (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) == nil,
                    FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue
                else { continue }
                files.append(path)
            }
            let unexpected = files.filter {
                !["ctwatch", "etc/nsswitch.conf"].contains($0)
                    && !libraries.contains(($0 as NSString).lastPathComponent)
            }
            #expect(files.contains("ctwatch"))
            #expect(unexpected.isEmpty, "files that are neither ctwatch nor a library it loads: \(unexpected)")
            #expect(libraries.contains("libnetfilter_conntrack.so.3"), "\(ldd)")
            #expect(!libraries.contains { $0.hasPrefix("libswift") || $0.hasPrefix("libFoundation") }, "\(ldd)")
            // The size aimed at: full Foundation (and ICU's 34 MB of data) would break it.
            let bytes = try files.reduce(0) { total, path in
                total + ((try FileManager.default.attributesOfItem(atPath: root + "/" + path)[.size] as? Int) ?? 0)
            }
            #expect(bytes <= 60_000_000, "the image's files take \(bytes) bytes")
        }
    }
}
