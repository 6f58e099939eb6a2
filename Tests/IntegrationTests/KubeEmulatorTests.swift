import Foundation
import TestSupport
import Testing

/// The Kubernetes API emulator the client tests use, checked with the real kubectl
/// and curl: if these pass, a client test failing against it is the client's fault.
@Suite("Kubernetes API emulator", .kubeEmulator)
struct KubeEmulatorTests {
    static let token = "emulator-test-token"

    static func pod(_ name: String, namespace: String = "shop", node: String, ip: String) -> String {
        #"{"metadata": {"name": "\#(name)", "namespace": "\#(namespace)", "labels": {"app": "\#(name)"}},"#
            + #" "spec": {"nodeName": "\#(node)"}, "status": {"phase": "Running", "podIP": "\#(ip)"}}"#
    }

    static let objects: [String: [String]] = [
        "v1/pods": [pod("web", node: "node-a", ip: "10.244.0.5"), pod("db", node: "node-b", ip: "10.244.1.7")],
        "v1/nodes": [#"{"metadata": {"name": "node-a"}, "spec": {"podCIDRs": ["10.244.0.0/24"]}}"#],
        "discovery.k8s.io/v1/endpointslices": [
            #"{"metadata": {"name": "web-x1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},"#
                + #" "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.0.5"], "conditions": {"ready": true}}],"#
                + #" "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}"#
        ],
    ]

    /// A fresh folder for kubeconfigs, removed after `body`.
    func withFolder<T>(_ body: (String) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-emulator-test-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try await Cleanup.after(
            { try await body(folder) }, cleanup: { try? FileManager.default.removeItem(atPath: folder) })
    }

    /// curl against the emulator's API with its CA and (by default) its token: the body, then the status code.
    func curl(_ emulator: KubeEmulator, _ path: String, token: String? = token, maxTime: Double = 30) async throws
        -> (body: String, code: String, result: ProcessResult)
    {
        var arguments = ["-sS", "-N", "--max-time", String(maxTime), "-w", "\n%{http_code}"]
        if let caPath = emulator.caPath { arguments += ["--cacert", caPath] }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        let result = try await Subprocess.run("curl", arguments + ["\(emulator.url)\(path)"], timeout: maxTime + 30)
        var lines = result.stdoutLines
        let code = lines.popLast() ?? ""
        return (lines.joined(separator: "\n"), code, result)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    func events(_ text: some StringProtocol) throws -> [(type: String, object: [String: Any])] {
        try text.split(separator: "\n").map { line in
            let event = try json(String(line))
            return (try #require(event["type"] as? String), try #require(event["object"] as? [String: Any]))
        }
    }

    func name(_ object: [String: Any]) -> String? { (object["metadata"] as? [String: Any])?["name"] as? String }

    @Test("kubectl lists preloaded objects over TLS with the test CA and the token, with resourceVersions")
    func kubectlListsOverTLS() async throws {
        try await KubeEmulator.with(tls: true, token: Self.token, objects: Self.objects) { emulator in
            #expect(emulator.url.hasPrefix("https://127.0.0.1:"))
            let caPath = try #require(emulator.caPath)
            #expect(FileManager.default.fileExists(atPath: caPath))
            try await withFolder { folder in
                let kubeconfig = "\(folder)/config"
                try await emulator.writeKubeconfig(path: kubeconfig, token: Self.token)
                let pods = try await Subprocess.run(
                    "kubectl", ["--kubeconfig", kubeconfig, "get", "--raw", "/api/v1/pods"])
                try #require(pods.status == 0, "\(pods)")
                let list = try json(pods.stdout)
                let items = try #require(list["items"] as? [[String: Any]])
                #expect(Set(items.compactMap(name)) == ["web", "db"])
                let listVersion = (list["metadata"] as? [String: Any])?["resourceVersion"] as? String
                #expect(listVersion == (try await emulator.resourceVersion()))
                #expect(items.allSatisfy { ($0["metadata"] as? [String: Any])?["resourceVersion"] is String })
                // Discovery works too, so kubectl's own JSON for fixtures can be had from the emulator.
                let slices = try await Subprocess.run(
                    "kubectl", ["--kubeconfig", kubeconfig, "get", "endpointslices", "-A", "-o", "json"])
                try #require(slices.status == 0, "\(slices)")
                #expect(try (json(slices.stdout)["items"] as? [[String: Any]])?.compactMap(name) == ["web-x1"])
                let nodes = try await Subprocess.run(
                    "kubectl", ["--kubeconfig", kubeconfig, "get", "--raw", "/api/v1/nodes/node-a"])
                #expect(try name(json(nodes.stdout)) == "node-a", "\(nodes)")

                // With a wrong token or none: 401 with a Status body. (kubectl is given a wrong
                // one: without any credentials it asks for a user name on a terminal.)
                let anonymous = "\(folder)/wrong-token"
                try await emulator.writeKubeconfig(path: anonymous, token: "wrong")
                let refused = try await Subprocess.run(
                    "kubectl", ["--kubeconfig", anonymous, "get", "--raw", "/api/v1/pods"])
                #expect(refused.status != 0 && refused.stderr.contains("Unauthorized"), "\(refused)")
                let bare = try await curl(emulator, "/api/v1/pods", token: nil)
                #expect(bare.code == "401")
                #expect(try json(bare.body)["reason"] as? String == "Unauthorized")
                // A rotated token is the only one accepted from then on.
                try await emulator.rotateToken(to: "rotated")
                #expect(try await curl(emulator, "/api/v1/pods").code == "401")
                #expect(try await curl(emulator, "/api/v1/pods", token: "rotated").code == "200")
            }
        }
    }

    @Test("A watch from a list's resourceVersion streams what is applied and deleted after it started")
    func watchStreamsChanges() async throws {
        try await KubeEmulator.with(tls: true, token: Self.token, objects: Self.objects) { emulator in
            try await withFolder { folder in
                let kubeconfig = "\(folder)/config"
                try await emulator.writeKubeconfig(path: kubeconfig, token: Self.token)
                let listed = try json(try await curl(emulator, "/api/v1/pods?resourceVersion=0").body)
                let version = try #require((listed["metadata"] as? [String: Any])?["resourceVersion"] as? String)
                let watch = try Subprocess.start(
                    "kubectl",
                    ["--kubeconfig", kubeconfig, "get", "--raw", "/api/v1/pods?watch=true&resourceVersion=\(version)"])
                let stopped = try await Cleanup.after(
                    {
                        try #require(
                            try await emulator.waitForWatches("v1/pods"), "no watch opened: \(watch.stderrSoFar)")
                        try await emulator.apply("v1/pods", Self.pod("cache", node: "node-a", ip: "10.244.0.9"))
                        try await emulator.apply(
                            "v1/pods", objects: [Self.pod("web", node: "node-a", ip: "10.244.0.6")])
                        try await emulator.delete("v1/pods", namespace: "shop", name: "db")
                        return await watch.waitForStdout(timeout: 30) { $0.count >= 3 }
                    }, cleanup: { _ = await watch.stop() })
                #expect(stopped, "watch printed: \(watch.stdoutSoFar) \(watch.stderrSoFar)")
                let seen = try events(watch.stdoutSoFar)
                #expect(seen.map(\.type) == ["ADDED", "MODIFIED", "DELETED"])
                #expect(seen.map { name($0.object) } == ["cache", "web", "db"])
                let versions = seen.compactMap {
                    ($0.object["metadata"] as? [String: Any])?["resourceVersion"] as? String
                }
                #expect(versions.count == 3 && Set(versions).count == 3 && !versions.contains(version))
            }
            // resourceVersion=0 lists and watch parameters are recorded as sent.
            #expect(try await emulator.requests().contains("GET /api/v1/pods?resourceVersion=0"))
            // kubectl sorts the query's parameters.
            let watches = try await emulator.requests().filter {
                $0.hasPrefix("GET /api/v1/pods?") && $0.contains("watch=true")
            }
            #expect(watches.count == 1 && watches.allSatisfy { $0.contains("resourceVersion=") }, "\(watches)")
        }
    }

    @Test("A watch with fieldSelector spec.nodeName sees pods entering and leaving the node as ADDED and DELETED")
    func fieldSelectorWatch() async throws {
        try await KubeEmulator.with(tls: false, objects: Self.objects) { emulator in
            #expect(emulator.url.hasPrefix("http://127.0.0.1:"))
            let list = try json(
                try await curl(emulator, "/api/v1/pods?resourceVersion=0&fieldSelector=spec.nodeName%3Dnode-a").body)
            #expect((list["items"] as? [[String: Any]])?.compactMap(name) == ["web"])
            let path =
                "/api/v1/pods?watch=true&allowWatchBookmarks=true&fieldSelector=spec.nodeName%3Dnode-a&timeoutSeconds=600"
            let watch = try Subprocess.start("curl", ["--max-time", "120", "-sS", "-N", "\(emulator.url)\(path)"])
            let done = try await Cleanup.after(
                {
                    try #require(try await emulator.waitForWatches("v1/pods"))
                    // db moves in, other is never seen, web moves out.
                    try await emulator.apply("v1/pods", Self.pod("db", node: "node-a", ip: "10.244.1.7"))
                    try await emulator.apply("v1/pods", Self.pod("other", node: "node-b", ip: "10.244.1.8"))
                    try await emulator.apply("v1/pods", Self.pod("web", node: "node-b", ip: "10.244.0.5"))
                    #expect(try await emulator.bookmark("v1/pods") == 1)
                    try await emulator.endWatches("v1/pods")
                    return await watch.wait(timeout: 30)
                }, cleanup: { _ = await watch.stop() })
            #expect(done.status == 0, "\(done)")
            let seen = try events(done.stdout)
            #expect(seen.map(\.type) == ["ADDED", "ADDED", "DELETED", "BOOKMARK"], "\(done.stdout)")
            #expect(seen.prefix(3).map { name($0.object) } == ["web", "db", "web"])
            let unsupported = try await curl(emulator, "/api/v1/pods?fieldSelector=spec.color%3Dblue")
            #expect(unsupported.code == "400" && unsupported.body.contains("field label not supported: spec.color"))
        }
    }

    @Test("Scripted faults answer as the API server does: 410, 403 and 401 Status bodies, and an ERROR event")
    func statusFaults() async throws {
        try await KubeEmulator.with(tls: true, token: Self.token, objects: Self.objects) { emulator in
            try await emulator.fail("v1/pods", with: .gone410)
            let gone = try await curl(emulator, "/api/v1/pods?resourceVersion=0")
            #expect(gone.code == "410")
            let goneStatus = try json(gone.body)
            #expect(goneStatus["kind"] as? String == "Status" && goneStatus["code"] as? Int == 410)
            #expect(goneStatus["reason"] as? String == "Expired")

            try await emulator.fail("v1/pods", with: .forbidden)
            let forbidden = try await curl(emulator, "/api/v1/pods")
            #expect(forbidden.code == "403")
            let forbiddenStatus = try json(forbidden.body)
            #expect(forbiddenStatus["reason"] as? String == "Forbidden")
            #expect(
                forbiddenStatus["message"] as? String
                    == #"pods is forbidden: User "system:serviceaccount:x:y" cannot list resource "pods" in API group "" at the cluster scope"#
            )
            try await emulator.fail("discovery.k8s.io/v1/endpointslices", with: .forbidden, verb: .watch)
            // A list passes; the watch is refused.
            #expect(try await curl(emulator, "/apis/discovery.k8s.io/v1/endpointslices").code == "200")
            let watchRefused = try json(
                try await curl(emulator, "/apis/discovery.k8s.io/v1/endpointslices?watch=true").body)
            #expect(
                watchRefused["message"] as? String
                    == #"endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:x:y" cannot watch resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope"#
            )

            try await emulator.fail("v1/nodes", with: .unauthorized, count: 2)
            #expect(try await curl(emulator, "/api/v1/nodes").code == "401")
            #expect(try await curl(emulator, "/api/v1/nodes?watch=true").code == "401")
            #expect(try await curl(emulator, "/api/v1/nodes").code == "200")  // the count is spent

            // An ERROR event waits for a watch: the list before it is served as usual.
            try await emulator.fail("v1/pods", with: .errorEvent410)
            #expect(try await curl(emulator, "/api/v1/pods").code == "200")
            let errorWatch = try await curl(emulator, "/api/v1/pods?watch=true&resourceVersion=1")
            #expect(errorWatch.code == "200")
            let error = try #require(try events(errorWatch.body).first)
            #expect(error.type == "ERROR" && error.object["code"] as? Int == 410, "\(errorWatch.body)")

            // After a compaction, a watch from an older resourceVersion gets the same ERROR event.
            try await emulator.compact()
            let compacted = try events(try await curl(emulator, "/api/v1/pods?watch=true&resourceVersion=1").body)
            #expect(compacted.map(\.type) == ["ERROR"])
            #expect(compacted.first?.object["reason"] as? String == "Expired")
        }
    }

    @Test("Scripted watch streams: one that ends, one with a BOOKMARK, one that times out, a silent server")
    func streamFaults() async throws {
        try await KubeEmulator.with(tls: true, token: Self.token, objects: Self.objects) { emulator in
            try await emulator.fail("v1/pods", with: .endStream)
            let ended = try await curl(emulator, "/api/v1/pods?watch=true")
            #expect(ended.result.status == 0 && ended.code == "200", "\(ended.result)")
            #expect(try events(ended.body).map(\.type) == ["ADDED", "ADDED"])

            try await emulator.fail("v1/pods", with: .bookmark)
            try await emulator.fail("v1/pods", with: .endStream)
            let marked = try await curl(emulator, "/api/v1/pods?watch=true&allowWatchBookmarks=true")
            let markedEvents = try events(marked.body)
            #expect(markedEvents.map(\.type) == ["ADDED", "ADDED", "BOOKMARK"], "\(marked.body)")
            let bookmarkVersion =
                (markedEvents.last?.object["metadata"] as? [String: Any])?["resourceVersion"] as? String
            #expect(bookmarkVersion == (try await emulator.resourceVersion()))

            // timeoutSeconds ends a watch cleanly on the server's side.
            let timedOut = try await curl(emulator, "/api/v1/nodes?watch=true&timeoutSeconds=1")
            #expect(timedOut.result.status == 0 && timedOut.code == "200", "\(timedOut.result)")
            #expect(try events(timedOut.body).map(\.type) == ["ADDED"])

            // A silent server: the connection is taken, nothing comes back before the client gives up.
            try await emulator.fail("v1/services", with: .silent(seconds: 30))
            let silent = try await curl(emulator, "/api/v1/services", maxTime: 1)
            #expect(silent.result.status == 28, "curl should time out: \(silent.result)")
        }
    }
}
