import Foundation
import Synchronization

/// RepositoryLayout finds files of the ctwatch checkout the tests run from.
public enum RepositoryLayout {
    /// The repository root: this file is `Tests/TestSupport/TestBed.swift`.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Scripts/testbed`.
    public static var testbedScript: String { root.appendingPathComponent("Scripts/testbed").path }
}

/// TestBed drives `Scripts/testbed` under a prefix of its own, so tests running
/// in parallel (and other users of the machine) never share namespaces.
///
/// The prefix is `ctwt<pid>x<n>`: the process id and a per-process counter,
/// short enough for namespace names. `TestBed.with` takes the bed down when its
/// body returns or throws, so a test that fails half-way still removes its namespaces. Everything happens inside the
/// namespaces the bed creates; the root namespace is never touched.
/// Safe to share across threads (each method is one script run).
public final class TestBed: @unchecked Sendable {
    /// The namespaces of a bed, as `Scripts/testbed` calls them.
    public enum Namespace: String, Sendable, CaseIterable {
        case node, a, b, c
    }

    /// ProxyMode is how the bed's Services are written, as kube-proxy's two modes do:
    /// iptables chains (KUBE-SERVICES, KUBE-SVC-*, KUBE-SEP-*) or an nftables table `kube-proxy`.
    public enum ProxyMode: String, Sendable, CaseIterable {
        case iptables, nftables
    }

    /// Backend is an endpoint a Service can point at: pod B, pod C, or 10.224.1.99
    /// (fd00:224:1::99), an address no pod holds (a deleted pod's stale endpoint).
    public enum Backend: String, Sendable, CaseIterable {
        case b, c, dead
    }

    /// CallResult is what `testbed call` reported.
    public struct CallResult: Sendable, CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The source ports of failed calls, from the `(..., sport N[,M])` the script prints on failure.
        public var failedSourcePorts: [UInt16] {
            guard let range = stderr.range(of: "sport ", options: .backwards) else { return [] }
            let list = stderr[range.upperBound...].prefix { $0.isNumber || $0 == "," }
            return list.split(separator: ",").compactMap { UInt16($0) }
        }
        public var description: String { "call exited \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    private static let counter = Atomic<Int>(0)
    /// Beds come up three at a time (each runs iptables-restore, nft and python servers).
    static let starting = Gate(limit: 3)

    /// The prefix handed to `Scripts/testbed --name`.
    public let prefix: String
    private let state = Mutex<Bool>(false)

    /// A bed with a fresh unique prefix; nothing exists until `up()`.
    public init() {
        let n = TestBed.counter.add(1, ordering: .relaxed).newValue
        prefix = "ctwt\(getpid())x\(n)"
    }

    /// Once per process: removes beds left by test processes that died before
    /// their cleanup ran (a crash, a kill -9). Only `ctwt<pid>x<n>-*` namespaces
    /// whose pid no longer exists are touched: a live process's beds stay.
    static let removeStaleBeds: Void = {
        guard let list = try? Subprocess.run("ip", ["netns", "list"], timeout: 30), list.status == 0 else { return }
        let pattern = /^ctwt(\d+)x(\d+)-node\b/
        for line in list.stdoutLines {
            guard let match = try? pattern.firstMatch(in: line), let pid = Int32(match.output.1),
                pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            _ = try? Subprocess.run(
                RepositoryLayout.testbedScript, ["--name", "ctwt\(pid)x\(match.output.2)", "down"], timeout: 60)
        }
    }()

    /// The `ip netns` name of one of the bed's namespaces.
    public func name(_ namespace: Namespace) -> String { "\(prefix)-\(namespace.rawValue)" }
    /// The node namespace: bridge cni0, the DNAT rules, the conntrack table under test.
    public var node: String { name(.node) }
    public var podA: String { name(.a) }
    public var podB: String { name(.b) }
    public var podC: String { name(.c) }
    /// All four namespace names.
    public var namespaces: [String] { Namespace.allCases.map(name) }

    /// Runs `Scripts/testbed --name PREFIX args...` on a thread of its own, never
    /// holding one of the Swift concurrency pool's (two, here) threads.
    public func script(_ args: [String], timeout: Double = 60) async throws -> ProcessResult {
        try await Subprocess.run(RepositoryLayout.testbedScript, ["--name", prefix] + args, timeout: timeout)
    }

    /// Runs `body` with a bed that is up (Services written in `proxyMode`, bridge-nf on),
    /// and takes the bed down afterwards, whether `body` returned or threw.
    public static func with<T>(proxyMode: ProxyMode = .iptables, _ body: (TestBed) async throws -> T) async throws -> T
    {
        let bed = TestBed()
        try await bed.up(proxyMode: proxyMode)
        return try await Cleanup.after {
            try await body(bed)
        } cleanup: {
            await bed.down()
        }
    }

    /// Creates the namespaces, links, Service rules (in `proxyMode`) and servers (bridge-nf on).
    /// A stale bed of the same prefix (left by a crashed run of a process that
    /// had this pid) is removed first.
    public func up(proxyMode: ProxyMode = .iptables) async throws {
        await Subprocess.offPool { TestBed.removeStaleBeds }
        if FileManager.default.fileExists(atPath: "/run/netns/\(node)") { await down() }
        state.withLock { $0 = true }
        let result = try await TestBed.starting.through {
            try await self.script(["up", "--proxy", proxyMode.rawValue], timeout: 120)
        }
        guard result.status == 0 else {
            await down()
            throw SubprocessError(description: "testbed up failed: \(result)")
        }
    }

    /// Removes everything of the bed; no error if nothing exists.
    public func down() async {
        state.withLock { $0 = false }
        _ = try? await script(["down"], timeout: 60)
    }

    /// A bed dropped while up (a test that made one without `with`) is still taken down.
    deinit {
        if state.withLock({ $0 }) {
            _ = try? Subprocess.run(RepositoryLayout.testbedScript, ["--name", prefix, "down"], timeout: 60)
        }
    }

    /// Sets `net.bridge.bridge-nf-call-ip{,6}tables` in the node namespace.
    public func bridgeNF(_ on: Bool) async throws {
        let result = try await script(["bridge-nf", on ? "on" : "off"])
        guard result.status == 0 else { throw SubprocessError(description: "testbed bridge-nf failed: \(result)") }
    }

    /// Runs a testbed command that must succeed; its stdout.
    @discardableResult
    private func command(_ args: [String]) async throws -> String {
        let result = try await script(args)
        guard result.status == 0 else {
            throw SubprocessError(description: "testbed \(args.joined(separator: " ")) failed: \(result)")
        }
        return result.stdout
    }

    /// Deletes a pod's veth (its port on cni0), as when the pod is deleted; the
    /// Service rules keep pointing at it. The pod's namespace stays until `down()`.
    public func deletePod(_ pod: Namespace) async throws {
        try await command(["pod-delete", pod.rawValue])
    }

    /// Rewrites a Service's endpoints (`service`: `cluster`, `routed` or `dead`), as
    /// kube-proxy does once it notices a change; two backends share the traffic at random.
    public func repoint(_ service: String, to backends: [Backend]) async throws {
        try await command(["repoint", service, backends.map(\.rawValue).joined(separator: ",")])
    }

    /// Starts a UDP client in pod A that sends a datagram to port 8080 of `to` from the
    /// fixed `sourcePort` every `interval` seconds until `stopUDPClients()` or `down()`.
    public func startUDPClient(sourcePort: UInt16, to: String = "cluster", ipv6: Bool = false, interval: Double? = nil)
        async throws
    {
        var args = ["udp-client", "start", "--sport", String(sourcePort), "--to", to]
        if ipv6 { args.append("--ipv6") }
        if let interval { args += ["--interval", String(interval)] }
        try await command(args)
    }

    /// Stops pod A's UDP clients.
    public func stopUDPClients() async throws {
        try await command(["udp-client", "stop"])
    }

    /// Sets the hairpin mode of cni0's port `port` (`vA`, `vB` or `all`); the ports' modes after it.
    @discardableResult
    public func setHairpin(_ on: Bool, port: String = "all") async throws -> [String: Bool] {
        TestBed.hairpinModes(try await command(["hairpin", on ? "on" : "off", port]))
    }

    /// The hairpin mode of each of cni0's pod ports.
    public func hairpinModes() async throws -> [String: Bool] {
        TestBed.hairpinModes(try await command(["hairpin"]))
    }

    static func hairpinModes(_ output: String) -> [String: Bool] {
        var modes: [String: Bool] = [:]
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 3, words[1] == "hairpin" else { continue }
            modes[String(words[0])] = words[2] == "on"
        }
        return modes
    }

    /// Sets cni0's promiscuous mode; cni0's promiscuity count after it.
    @discardableResult
    public func setBridgePromiscuous(_ on: Bool) async throws -> Int {
        let output = try await command(["bridge-promisc", on ? "on" : "off"])
        return Int(output.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
    }

    /// Arguments of `testbed call`.
    public static func callArguments(
        from: Namespace, to: String, udp: Bool, ipv6: Bool, slow: Bool, timeout: Double?, count: Int
    ) -> [String] {
        var args = ["call", "--from", from.rawValue, "--to", to]
        if udp { args.append("--udp") }
        if ipv6 { args.append("--ipv6") }
        if slow { args.append("--slow") }
        if let timeout { args += ["--timeout", String(timeout)] }
        if count != 1 { args += ["--count", String(count)] }
        return args
    }

    /// A pod calls a service (`to`: `cluster`, `routed`, `dead`, `pod` or `nodeport`). Status 0 when every call got its reply.
    public func call(
        from: Namespace = .a, to: String = "cluster", udp: Bool = false, ipv6: Bool = false, slow: Bool = false,
        timeout: Double? = nil, count: Int = 1
    ) async throws -> CallResult {
        let args = TestBed.callArguments(
            from: from, to: to, udp: udp, ipv6: ipv6, slow: slow, timeout: timeout, count: count)
        let r = try await script(args, timeout: (timeout ?? 10) + 30)
        return CallResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// Runs a command inside one of the bed's namespaces.
    public func exec(_ namespace: Namespace, _ args: [String], timeout: Double = 60) async throws -> ProcessResult {
        try await script(["exec", namespace.rawValue] + args, timeout: timeout)
    }

    /// Starts a long-lived command inside a namespace (`ip netns exec NS CMD...`),
    /// for example a `sleep` whose `/proc/PID/ns/net` names the namespace.
    /// `down()` kills whatever still runs in the bed's namespaces.
    public func start(_ namespace: Namespace, _ args: [String]) throws -> RunningProcess {
        try Subprocess.start("ip", ["netns", "exec", name(namespace)] + args)
    }
}
