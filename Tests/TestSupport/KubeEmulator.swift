import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// KubeEmulator runs `Scripts/kube-emulator` (kmock's Kubernetes API emulator, with
/// socat and a test CA in front when `tls`) as a child process and drives it through
/// its control port: no real API server can be had here, and this one speaks the
/// API's list and watch protocol with resourceVersions, bookmarks and scripted faults.
///
/// Objects are JSON texts, as the API server writes them; resources are named
/// `v1/pods`, `v1/services`, `v1/nodes`, `discovery.k8s.io/v1/endpointslices`.
/// Safe to share across tasks: every method is one request to the child.
/// Use `with(...)`, which always stops the child.
public final class KubeEmulator: Sendable {
    /// Fault is an answer scripted for the next list or watch requests of a resource.
    public enum Fault: Sendable, CustomStringConvertible {
        /// HTTP 410 with a Status body (reason Expired), on a list or a watch.
        case gone410
        /// A watch answers 200, then one ERROR event holding a 410 Status, then ends.
        case errorEvent410
        /// HTTP 401 with a Status body (reason Unauthorized).
        case unauthorized
        /// HTTP 403 with a Status body (reason Forbidden), its message naming the
        /// verb, resource and API group refused to `system:serviceaccount:x:y`.
        case forbidden
        /// A watch sends its first events, then ends cleanly (a dropped stream).
        case endStream
        /// The server accepts and sends nothing for `seconds`, then answers as usual.
        case silent(seconds: Double)
        /// A watch sends a BOOKMARK event after its first events.
        case bookmark

        var name: String {
            switch self {
            case .gone410: "gone410"
            case .errorEvent410: "errorEvent410"
            case .unauthorized: "unauthorized"
            case .forbidden: "forbidden"
            case .endStream: "endStream"
            case .silent: "silent"
            case .bookmark: "bookmark"
            }
        }

        public var description: String {
            if case .silent(let seconds) = self { return "silent(\(seconds) s)" }
            return name
        }
    }

    /// The verbs a fault can be limited to.
    public enum Verb: String, Sendable {
        case list, watch
    }

    /// The API's base URL, `https://127.0.0.1:PORT` with TLS, else `http://...`.
    public let url: String
    /// The plain-HTTP control URL (the same server as `url` without TLS).
    public let controlURL: String
    /// The test CA that signed the server certificate (`ca.crt`), with TLS.
    public let caPath: String?
    /// The server certificate and key, with TLS (a client may pin them).
    public let serverCertificatePath: String?
    /// The bearer token the server requires, if any (`rotateToken(to:)` changes it).
    public let initialToken: String?
    /// A folder of this emulator's own (certificates, token, objects), removed by `stop()`.
    public let directory: String
    private let process: RunningProcess

    private init(
        url: String, controlURL: String, tlsDirectory: String?, token: String?, directory: String,
        process: RunningProcess
    ) {
        self.url = url
        self.controlURL = controlURL
        self.caPath = tlsDirectory.map { "\($0)/ca.crt" }
        self.serverCertificatePath = tlsDirectory.map { "\($0)/server.crt" }
        self.initialToken = token
        self.directory = directory
        self.process = process
    }

    /// `Scripts/kube-emulator`.
    public static var script: String { RepositoryLayout.root.appendingPathComponent("Scripts/kube-emulator").path }

    /// Starts an emulator: HTTPS with a fresh test CA when `tls`; requiring
    /// `Authorization: Bearer token` when `token` is set; preloaded with `objects`
    /// (resource to JSON texts). Waits up to `timeout` seconds for it to listen.
    /// Emulators start one at a time (python with kmock, openssl keys, socat).
    static let starting = Gate(limit: 1)

    public static func start(
        tls: Bool, token: String? = nil, objects: [String: [String]] = [:], timeout: Double = 60
    ) async throws -> KubeEmulator {
        if let reason = await unavailableReason(tls: tls) { throw KubeEmulatorError(description: reason) }
        let directory = try makeDirectory()
        var arguments: [String] = []
        if let token {
            try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: "\(directory)/token"))
            arguments += ["--token-file", "\(directory)/token"]
        }
        if !objects.isEmpty {
            var document = "{"
            for (index, (resource, texts)) in objects.sorted(by: { $0.key < $1.key }).enumerated() {
                document += (index == 0 ? "" : ",") + "\(quoted(resource)): [" + texts.joined(separator: ",") + "]"
            }
            document += "}"
            try Data(document.utf8).write(to: URL(fileURLWithPath: "\(directory)/objects.json"))
            arguments += ["--objects", "\(directory)/objects.json"]
        }
        let tlsDirectory = tls ? "\(directory)/tls" : nil
        if let tlsDirectory { arguments += ["--tls", tlsDirectory] }
        let command = arguments
        let (process, listening) = try await starting.through {
            let process = try Subprocess.start(script, command)
            let listening = await process.waitForStdout(timeout: timeout) { lines in
                lines.contains { $0.hasPrefix("listening ") }
            }
            return (process, listening)
        }
        let lines = process.stdoutLinesSoFar
        guard listening,
            let url = lines.first(where: { $0.hasPrefix("listening ") })?.dropFirst("listening ".count),
            let control = lines.first(where: { $0.hasPrefix("control ") })?.dropFirst("control ".count)
        else {
            let result = await process.stop(SIGTERM, timeout: 5)
            try? FileManager.default.removeItem(atPath: directory)
            throw KubeEmulatorError(description: "kube-emulator did not say it listens within \(timeout) s: \(result)")
        }
        return KubeEmulator(
            url: String(url), controlURL: String(control), tlsDirectory: tlsDirectory, token: token,
            directory: directory, process: process)
    }

    /// Runs `body` with a started emulator and stops it afterwards, whether `body` returned or threw.
    public static func with<T>(
        tls: Bool, token: String? = nil, objects: [String: [String]] = [:],
        _ body: (KubeEmulator) async throws -> T
    ) async throws -> T {
        let emulator = try await start(tls: tls, token: token, objects: objects)
        return try await Cleanup.after({ try await body(emulator) }, cleanup: { await emulator.stop() })
    }

    /// Whether python3 imports kmock: asked once per test process (each start would
    /// otherwise pay a python start, slow on a busy machine).
    private static let kmockImports = Task {
        let probe = try? await Subprocess.run("python3", ["-c", "import kmock"], timeout: 120)
        return probe?.status == 0
    }

    /// Why an emulator cannot start here (python3 without kmock, no socat, openssl or curl),
    /// or nil when it can. Checked without holding a concurrency-pool thread.
    public static func unavailableReason(tls: Bool = true) async -> String? {
        var missing: [String] = []
        for tool in ["python3", "curl"] + (tls ? ["socat", "openssl"] : []) where (try? Subprocess.resolve(tool)) == nil
        {
            missing.append(tool)
        }
        if missing.isEmpty, await !kmockImports.value {
            missing.append("kmock for python3 (pip install kmock==0.8)")
        }
        if missing.isEmpty { return nil }
        return "the Kubernetes API emulator needs \(missing.joined(separator: ", ")): run Scripts/install-deps"
    }

    /// Whether emulator tests should run: when its dependencies are here, and always
    /// in CI (where a missing one then fails the test with `unavailableReason`).
    public static func shouldRunTests() async -> Bool {
        if Privilege.inCI { return true }
        return await unavailableReason() == nil
    }

    /// Stops the child (socat with it) and removes `directory`.
    public func stop() async {
        _ = await process.stop(SIGTERM, timeout: 20)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The child's standard error so far (socat's and Python's complaints).
    public var stderr: String { process.stderrSoFar }

    /// Creates `object` (a JSON text) or replaces the stored one of the same namespace and name;
    /// open watches get ADDED or MODIFIED. Returns the object's new resourceVersion.
    @discardableResult
    public func apply(_ resource: String, _ object: String) async throws -> String {
        let answer = try await control("POST", "apply", ["resource": resource], body: object)
        return try Self.field(answer, "resourceVersion")
    }

    /// Applies several objects (JSON texts) of one resource in one request, in order;
    /// returns the last one's resourceVersion. For big stores: one request, not one per object.
    @discardableResult
    public func apply(_ resource: String, objects: [String]) async throws -> String {
        let answer = try await control(
            "POST", "apply", ["resource": resource], body: "[" + objects.joined(separator: ",") + "]")
        return try Self.field(answer, "resourceVersion")
    }

    /// Deletes an object (`namespace` nil for cluster-scoped kinds); open watches get DELETED.
    /// Returns the deletion's resourceVersion.
    @discardableResult
    public func delete(_ resource: String, namespace: String?, name: String) async throws -> String {
        var query = ["resource": resource, "name": name]
        if let namespace { query["namespace"] = namespace }
        return try Self.field(try await control("POST", "delete", query), "resourceVersion")
    }

    /// Scripts `fault` as the answer to the next `count` list or watch requests of
    /// `resource` (watch-only faults wait for a watch; `verb` limits any fault to one verb).
    /// Faults queue in order: a request takes them up to and including the first that
    /// decides its answer, so `.bookmark` then `.endStream` make one watch that sends a
    /// BOOKMARK and ends, and `.silent` delays whatever follows it.
    public func fail(_ resource: String, with fault: Fault, count: Int = 1, verb: Verb? = nil) async throws {
        var query = ["resource": resource, "fault": fault.name, "count": String(count)]
        if case .silent(let seconds) = fault { query["seconds"] = String(seconds) }
        if let verb { query["verb"] = verb.rawValue }
        _ = try await control("POST", "fault", query)
    }

    /// Sends a BOOKMARK now to every open watch of `resource` that asked for bookmarks;
    /// returns how many got one.
    @discardableResult
    public func bookmark(_ resource: String) async throws -> Int {
        Int(try Self.field(try await control("POST", "bookmark", ["resource": resource]), "watches")) ?? 0
    }

    /// Ends every open watch of `resource` now, as a dropped connection would; returns how many.
    @discardableResult
    public func endWatches(_ resource: String) async throws -> Int {
        Int(try Self.field(try await control("POST", "end-watches", ["resource": resource]), "watches")) ?? 0
    }

    /// Makes every resourceVersion older than the current one too old: watches from
    /// them get an ERROR event with a 410 Status, as after an etcd compaction.
    public func compact() async throws {
        _ = try await control("POST", "compact", [:])
    }

    /// Changes the bearer token the server accepts (as a rotated service-account token).
    public func rotateToken(to token: String) async throws {
        let path = "\(directory)/token"
        guard FileManager.default.fileExists(atPath: path) else {
            throw KubeEmulatorError(description: "rotateToken: this emulator was started without a token")
        }
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The API requests received so far, as `METHOD PATH?QUERY` (control requests left out),
    /// for asserting list and watch parameters such as `resourceVersion=0`.
    public func requests() async throws -> [String] {
        let answer = try await control("GET", "requests", [:])
        guard let lines = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String] else {
            throw KubeEmulatorError(description: "kube-emulator: requests answered \(answer)")
        }
        return lines
    }

    /// The number of watches of `resource` open now.
    public func openWatches(_ resource: String) async throws -> Int {
        let answer = try await control("GET", "state", [:])
        let state = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
        return (state?["watches"] as? [String: Any])?[resource] as? Int ?? 0
    }

    /// The current resourceVersion of the whole store (an opaque string to clients).
    public func resourceVersion() async throws -> String {
        try Self.field(try await control("GET", "state", [:]), "resourceVersion")
    }

    /// Waits until at least `count` watches of `resource` are open; false at the deadline.
    public func waitForWatches(_ resource: String, count: Int = 1, timeout: Double = 30) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try await openWatches(resource) >= count { return true }
            try await Task.sleep(nanoseconds: 20_000_000)
        } while Date() < deadline
        return try await openWatches(resource) >= count
    }

    /// Writes a kubeconfig for this emulator at `path` with the real kubectl
    /// (`kubectl config set-cluster / set-credentials / set-context / use-context`):
    /// cluster, user and context named `emulator`, the CA as a file, and `token` if given.
    public func writeKubeconfig(path: String, token: String? = nil) async throws {
        try await Self.writeKubeconfig(path: path, server: url, certificateAuthority: caPath, token: token)
    }

    /// Writes a kubeconfig for any `server` with the real kubectl: cluster, user and
    /// context all named `name`, the CA as a file when given, and `token` if given.
    public static func writeKubeconfig(
        path: String, server: String, certificateAuthority: String? = nil, token: String? = nil,
        name: String = "emulator"
    ) async throws {
        var cluster = ["set-cluster", name, "--server=\(server)"]
        if let certificateAuthority { cluster.append("--certificate-authority=\(certificateAuthority)") }
        var user = ["set-credentials", name]
        if let token { user.append("--token=\(token)") }
        for arguments in [
            cluster, user, ["set-context", name, "--cluster=\(name)", "--user=\(name)"], ["use-context", name],
        ] {
            let result = try await Subprocess.run("kubectl", ["config", "--kubeconfig", path] + arguments)
            if result.status != 0 { throw KubeEmulatorError(description: "writing a kubeconfig: \(result)") }
        }
    }

    /// One control request with curl (the answer's body); throws unless it answered 200.
    private func control(_ method: String, _ command: String, _ query: [String: String], body: String? = nil)
        async throws -> String
    {
        var components = URLComponents(string: "\(controlURL)/_control/\(command)")!
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map(URLQueryItem.init) }
        // `+` is a space in a query: encode it (as in a resource's JSON or a selector) too.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        var arguments = ["-sS", "--max-time", "30", "-X", method, "-w", "\n%{http_code}"]
        if body != nil { arguments += ["-H", "Content-Type: application/json", "--data-binary", "@-"] }
        arguments.append(components.string!)
        let result = try await Subprocess.run("curl", arguments, stdin: body, timeout: 40)
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let code = lines.popLast().map(String.init) ?? ""
        let answer = lines.joined(separator: "\n")
        guard result.status == 0, code == "200" else {
            throw KubeEmulatorError(
                description: "kube-emulator control \(method) \(command) \(query) answered \(code): \(answer) "
                    + "(curl exited \(result.status): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))"
            )
        }
        return answer
    }

    private static func field(_ answer: String, _ name: String) throws -> String {
        let object = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
        switch object?[name] {
        case let text as String: return text
        case let number as Int: return String(number)
        default: throw KubeEmulatorError(description: "kube-emulator answered \(answer), without \(name)")
        }
    }

    private static func quoted(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\(text)\"]"
        return String(array.dropFirst().dropLast())
    }

    private static func makeDirectory() throws -> String {
        var template = Array("\(NSTemporaryDirectory())/kube-emulator.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw KubeEmulatorError(description: "cannot make a temporary folder: errno \(errno)")
        }
        return String(cString: made)
    }
}

/// KubeEmulatorError says what went wrong starting or driving the emulator, and what to do.
public struct KubeEmulatorError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

extension Trait where Self == ConditionTrait {
    /// Tests that need the Kubernetes API emulator run when python3 with kmock, socat,
    /// openssl and curl are here, and always in CI (where a missing one fails the test,
    /// never a silent skip). Elsewhere they are disabled with this reason.
    public static var kubeEmulator: Self {
        .enabled("needs python3 with kmock, socat, openssl and curl: run Scripts/install-deps") {
            await KubeEmulator.shouldRunTests()
        }
    }
}
