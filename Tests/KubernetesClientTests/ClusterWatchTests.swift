import CTWatchCore
import Conntrack
import Foundation
import KubernetesClient
import Synchronization
import TestSupport
import Testing

/// ClusterWatch against the Kubernetes API emulator (kmock behind socat's TLS,
/// with a test CA and a bearer token), through kubeconfigs written by kubectl:
/// the real TLS, CA and token paths, list-then-watch, and every scripted fault.
@Suite("ClusterWatch against the API emulator", .kubeEmulator, .serialized)
struct ClusterWatchTests {
    static let node = "ctw-worker"
    static let token = "ctwatch-test-token-5d1f"

    static func pod(_ name: String, ip: String, node: String = node, phase: String = "Running", created: String)
        -> String
    {
        """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","namespace":"shop","uid":"\(UUID().uuidString.lowercased())",
        "creationTimestamp":"\(created)","labels":{"app":"\(name.split(separator: "-").first ?? "")"}},
        "spec":{"nodeName":"\(node)","containers":[{"name":"app","image":"registry.example/app:1.4"}]},
        "status":{"phase":"\(phase)","podIP":"\(ip)","podIPs":[{"ip":"\(ip)"}],"hostIP":"172.18.0.3"}}
        """
    }

    static let cart = """
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"cart","namespace":"shop"},
        "spec":{"type":"NodePort","clusterIP":"10.233.53.172","clusterIPs":["10.233.53.172"],"ipFamilies":["IPv4"],
        "externalIPs":["192.0.2.80"],"ports":[{"name":"http","port":8080,"protocol":"TCP","targetPort":8080,"nodePort":30081}],
        "selector":{"app":"cart"}},"status":{"loadBalancer":{}}}
        """

    static func cartSlice(_ endpoints: [(ip: String, pod: String, node: String, ready: Bool)]) -> String {
        let items = endpoints.map {
            """
            {"addresses":["\($0.ip)"],"conditions":{"ready":\($0.ready),"serving":\($0.ready),"terminating":false},
            "nodeName":"\($0.node)","targetRef":{"kind":"Pod","name":"\($0.pod)","namespace":"shop"}}
            """
        }
        return """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"cart-7xk2p","namespace":"shop",
            "labels":{"kubernetes.io/service-name":"cart","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io"}},
            "addressType":"IPv4","endpoints":[\(items.joined(separator: ","))],
            "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}
            """
    }

    static let nodeObject = """
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"\(node)","labels":{"kubernetes.io/hostname":"\(node)"}},
        "spec":{"podCIDR":"10.224.1.0/24","podCIDRs":["10.224.1.0/24"]},
        "status":{"addresses":[{"type":"InternalIP","address":"172.18.0.3"},{"type":"Hostname","address":"\(node)"}]}}
        """

    static var objects: [String: [String]] {
        [
            "v1/pods": [
                pod("frontend-7c9d8b5f4-x2x7p", ip: "10.224.1.34", created: "2026-11-20T10:00:00Z"),
                pod("cart-5d6f7b8c9-k4m2n", ip: "10.224.1.56", created: "2026-11-20T10:00:00Z"),
                pod("debug-shell", ip: "10.224.2.5", node: "ctw-worker2", created: "2026-11-20T10:00:00Z"),
            ],
            "v1/services": [cart],
            "discovery.k8s.io/v1/endpointslices": [
                cartSlice([
                    ("10.224.1.56", "cart-5d6f7b8c9-k4m2n", node, true),
                    ("10.224.2.41", "cart-5d6f7b8c9-q8r3s", "ctw-worker2", true),
                ])
            ],
            "v1/nodes": [nodeObject],
        ]
    }

    /// The notices a watch gave, described.
    final class NoticeLog: Sendable {
        let lines = Mutex<[String]>([])
    }

    /// A running watch of the emulator, with the notices it gave.
    final class Running: Sendable {
        let watch: ClusterWatch
        let client: APIClient
        let task: Task<Void, Never>
        let notices: NoticeLog

        init(
            _ emulator: KubeEmulator, watchTimeouts: ClosedRange<Int> = 30...60, watchGrace: Duration = .seconds(30)
        ) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctw-kubeconfig-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("config").path
            try await emulator.writeKubeconfig(path: path, token: ClusterWatchTests.token)
            let connection = try ClusterConnection.resolve(
                kubeconfig: path, context: nil, environment: [:], homeDirectory: directory.path)
            client = try APIClient(connection: connection)
            watch = ClusterWatch(
                client: client, node: ClusterWatchTests.node, watchTimeouts: watchTimeouts, watchGrace: watchGrace)
            let notices = NoticeLog()
            self.notices = notices
            let watch = self.watch
            task = Task {
                await watch.run { notice in notices.lines.withLock { $0.append(Running.describe(notice)) } }
            }
        }

        static func describe(_ notice: ClusterWatch.Notice) -> String {
            switch notice {
            case .synced: "synced"
            case .unavailable(let error): "unavailable: \(error)"
            case .available: "available"
            case .refused(let error): "refused: \(error)"
            }
        }

        var said: [String] { notices.lines.withLock { $0 } }

        func stop() async {
            task.cancel()
            await task.value
            await client.shutdown()
        }

        /// Polls the view until `condition` holds; false after `timeout` seconds.
        func until(timeout: Double = 30, _ condition: (ClusterView) -> Bool) async -> Bool {
            let deadline = ContinuousClock.now + .seconds(timeout)
            while ContinuousClock.now < deadline {
                if condition(watch.view()) { return true }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return condition(watch.view())
        }
    }

    static func with(
        watchTimeouts: ClosedRange<Int> = 30...60, watchGrace: Duration = .seconds(30),
        _ body: (KubeEmulator, Running) async throws -> Void
    ) async throws {
        try await KubeEmulator.with(tls: true, token: token, objects: objects) { emulator in
            let running = try await Running(emulator, watchTimeouts: watchTimeouts, watchGrace: watchGrace)
            try await Cleanup.after {
                try await body(emulator, running)
            } cleanup: {
                await running.stop()
            }
        }
    }

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test("lists this node's pods, the Services, EndpointSlices and the Node over TLS with a token, then watches")
    func firstSync() async throws {
        try await Self.with { emulator, running in
            #expect(await running.watch.waitForSync(timeout: .seconds(60)), "\(running.said) \(emulator.stderr)")
            let view = running.watch.view()
            #expect(
                view.pod(for: Self.ip("10.224.1.34"))
                    == KubeObjectRef(namespace: "shop", name: "frontend-7c9d8b5f4-x2x7p"))
            // Another node's pod is not listed; a backend there is named from its EndpointSlice.
            #expect(view.pod(for: Self.ip("10.224.2.5")) == nil)
            #expect(
                view.pod(for: Self.ip("10.224.2.41")) == KubeObjectRef(namespace: "shop", name: "cart-5d6f7b8c9-q8r3s"))
            let cart = KubeObjectRef(namespace: "shop", name: "cart")
            #expect(view.service(destination: Self.ip("10.233.53.172"), port: 8080, transport: .tcp)?.service == cart)
            #expect(view.service(destination: Self.ip("192.0.2.80"), port: 8080, transport: .tcp)?.kind == .externalIP)
            #expect(view.service(destination: Self.ip("172.18.0.3"), port: 30081, transport: .tcp)?.kind == .nodePort)
            #expect(view.podCIDRs.map(\.description) == ["10.224.1.0/24"])
            #expect(view.isEndpoint(Self.ip("10.224.1.56"), of: cart))
            #expect(running.said.first == "synced", "\(running.said)")

            // Kind to the API server: lists from its cache, watches with bookmarks and a timeout, pods of this node only.
            #expect(try await emulator.waitForWatches("v1/pods"))
            let requests = try await emulator.requests()
            let pods = requests.filter { $0.contains("/api/v1/pods") }
            #expect(pods.contains { !$0.contains("watch=true") && $0.contains("resourceVersion=0") }, "\(pods)")
            #expect(pods.allSatisfy { $0.contains("fieldSelector=spec.nodeName%3D\(Self.node)") }, "\(pods)")
            let watches = requests.filter { $0.contains("watch=true") }
            #expect(
                watches.count >= 4
                    && watches.allSatisfy {
                        $0.contains("allowWatchBookmarks=true") && $0.contains("timeoutSeconds=")
                            && $0.contains("resourceVersion=")
                    }, "\(watches)")
        }
    }

    @Test("changes while watching: a pod IP reused by a new pod, a Service losing an endpoint, a Service deleted")
    func changes() async throws {
        try await Self.with { emulator, running in
            #expect(await running.watch.waitForSync(timeout: .seconds(60)), "\(running.said)")
            #expect(try await emulator.waitForWatches("v1/pods"))
            #expect(try await emulator.waitForWatches("discovery.k8s.io/v1/endpointslices"))
            // The old frontend pod finished; a new one got its address.
            try await emulator.apply(
                "v1/pods",
                Self.pod(
                    "frontend-7c9d8b5f4-x2x7p", ip: "10.224.1.34", phase: "Succeeded", created: "2026-11-20T10:00:00Z"))
            try await emulator.apply(
                "v1/pods", Self.pod("frontend-7c9d8b5f4-9wq4c", ip: "10.224.1.34", created: "2026-11-30T09:00:00Z"))
            #expect(
                await running.until {
                    $0.pod(for: Self.ip("10.224.1.34"))
                        == KubeObjectRef(namespace: "shop", name: "frontend-7c9d8b5f4-9wq4c")
                })
            let cart = KubeObjectRef(namespace: "shop", name: "cart")
            try await emulator.apply(
                "discovery.k8s.io/v1/endpointslices",
                Self.cartSlice([("10.224.2.41", "cart-5d6f7b8c9-q8r3s", "ctw-worker2", true)]))
            #expect(await running.until { !$0.isEndpoint(Self.ip("10.224.1.56"), of: cart) })
            #expect(running.watch.view().endpoints(of: cart)?.addresses == [Self.ip("10.224.2.41")])
            try await emulator.delete("v1/services", namespace: "shop", name: "cart")
            #expect(
                await running.until {
                    $0.service(destination: Self.ip("10.233.53.172"), port: 8080, transport: .tcp) == nil
                })
        }
    }

    @Test(
        "410 Gone (HTTP and as an ERROR event) lists again; a dropped stream and a bookmark resume from the last version",
        arguments: [KubeEmulator.Fault.gone410, .errorEvent410, .endStream, .bookmark])
    func resume(_ fault: KubeEmulator.Fault) async throws {
        try await Self.with { emulator, running in
            #expect(await running.watch.waitForSync(timeout: .seconds(60)), "\(running.said)")
            #expect(try await emulator.waitForWatches("v1/services"))
            let listsBefore = try await emulator.requests().filter(Self.isServiceList).count
            try await emulator.fail("v1/services", with: fault, verb: .watch)
            if case .bookmark = fault { try await emulator.fail("v1/services", with: .endStream, verb: .watch) }
            // The scripted answer applies to the next watch: end the current one to make it.
            try await emulator.endWatches("v1/services")
            // A Service made after the fault is seen: the watch goes on, or the list brings it.
            try await emulator.apply("v1/services", Self.cart.replacingOccurrences(of: "\"cart\"", with: "\"cart2\""))
            #expect(
                await running.until(timeout: 60) {
                    $0.service(destination: Self.ip("10.233.53.172"), port: 8080, transport: .tcp) != nil
                        && $0.serviceCount == 2
                }, "\(running.said)")
            let requests = try await emulator.requests()
            let lists = requests.filter(Self.isServiceList).count
            switch fault {
            case .gone410, .errorEvent410:
                #expect(lists > listsBefore, "a relist after 410: \(requests.suffix(8))")
            default:
                #expect(lists == listsBefore, "no relist after \(fault): \(requests.suffix(8))")
            }
            #expect(!running.said.contains { $0.hasPrefix("unavailable") }, "\(running.said)")
            // Every watch after the first is counted once, as it is asked for.
            let restarts = running.watch.watchRestarts[.service] ?? 0
            let watches = try await emulator.requests().filter {
                $0.contains("/api/v1/services") && $0.contains("watch=true")
            }.count
            #expect(restarts >= 1 && (restarts == watches - 1 || restarts == watches), "\(restarts) of \(watches)")
        }
    }

    static func isServiceList(_ request: String) -> Bool {
        request.contains("/api/v1/services") && !request.contains("watch=true")
    }

    @Test("401 and 403 are said once per resource, naming it and what grants it; the token never shows")
    func refused() async throws {
        try await KubeEmulator.with(tls: true, token: Self.token, objects: Self.objects) { emulator in
            try await emulator.fail("v1/pods", with: .forbidden, count: 3, verb: .list)
            try await emulator.fail("v1/services", with: .unauthorized, count: 3, verb: .list)
            let running = try await Running(emulator)
            try await Cleanup.after {
                #expect(await Poll.until(timeout: 60) { running.said.filter { $0.hasPrefix("refused") }.count >= 2 })
                let refused = running.said.filter { $0.hasPrefix("refused") }
                #expect(refused.count == 2, "\(refused)")
                let forbidden = try #require(refused.first { $0.contains("list pods") })
                #expect(forbidden.contains("forbids list pods") && forbidden.contains("ClusterRole"), "\(forbidden)")
                let unauthorized = try #require(refused.first { $0.contains("list services") })
                #expect(unauthorized.contains("refused the credentials"), "\(unauthorized)")
                #expect(!running.said.joined().contains(Self.token))
                // After the scripted refusals the lists succeed: the watch syncs.
                #expect(await running.watch.waitForSync(timeout: .seconds(90)), "\(running.said)")
            } cleanup: {
                await running.stop()
            }
        }
    }

    @Test("a watch the server neither ends nor feeds past its timeout is taken for broken: said once, then said back")
    func silent() async throws {
        // Watches of 2-3 s that the emulator ends on time; one silent for 20 s is given up 2 s after its timeout.
        try await Self.with(watchTimeouts: 2...3, watchGrace: .seconds(2)) { emulator, running in
            #expect(await running.watch.waitForSync(timeout: .seconds(60)), "\(running.said)")
            #expect(try await emulator.waitForWatches("v1/nodes"))
            try await emulator.fail("v1/nodes", with: .silent(seconds: 20), verb: .watch)
            try await emulator.endWatches("v1/nodes")
            #expect(await Poll.until(timeout: 60) { running.said.contains("available") }, "\(running.said)")
            let outage = running.said.filter { $0.hasPrefix("unavailable") }
            #expect(outage.count == 1, "\(running.said)")
        }
    }

    @Test("in a pod: the service-account token is read again after it rotates, and the watch goes on")
    func inClusterRotation() async throws {
        try await KubeEmulator.with(tls: true, token: Self.token, objects: Self.objects) { emulator in
            let account = FileManager.default.temporaryDirectory.appendingPathComponent("ctw-sa-\(UUID())")
            try FileManager.default.createDirectory(at: account, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: account) }
            try Data(Self.token.utf8).write(to: account.appendingPathComponent("token"))
            try FileManager.default.copyItem(
                atPath: try #require(emulator.caPath), toPath: account.appendingPathComponent("ca.crt").path)
            try Data("shop".utf8).write(to: account.appendingPathComponent("namespace"))
            let port = try #require(URL(string: emulator.url)?.port)
            let connection = try ClusterConnection.resolve(
                kubeconfig: nil, context: nil,
                environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(port)],
                homeDirectory: account.path, serviceAccountDirectory: account.path)
            let client = try APIClient(connection: connection)
            let watch = ClusterWatch(client: client, node: Self.node, watchTimeouts: 30...60)
            let log = NoticeLog()
            let task = Task { await watch.run { notice in log.lines.withLock { $0.append(Running.describe(notice)) } } }
            try await Cleanup.after {
                #expect(await watch.waitForSync(timeout: .seconds(60)), "\(log.lines.withLock { $0 })")
                // The kubelet swaps in a new token; the server takes only the new one from now on.
                try Data("rotated-token-91c".utf8).write(to: account.appendingPathComponent("token"), options: .atomic)
                try await emulator.rotateToken(to: "rotated-token-91c")
                // A new watch must authenticate: end the current ones.
                try await emulator.endWatches("v1/services")
                try await emulator.apply(
                    "v1/services", Self.cart.replacingOccurrences(of: "\"cart\"", with: "\"cart3\""))
                let seen = await Poll.until(timeout: 60) { watch.view().serviceCount == 2 }
                // A request between the two writes may be refused once; the token file read again puts it right.
                #expect(seen, "\(log.lines.withLock { $0 })")
            } cleanup: {
                task.cancel()
                await task.value
                await client.shutdown()
            }
        }
    }
}
