import Foundation
import TestSupport
import Testing

/// `--kubernetes` end to end: the API emulator (over TLS, with a token, through a
/// kubeconfig kubectl wrote) serves pods, Services, EndpointSlices and a Node
/// that match the test bed; ctwatch names everything with no files.
@Suite("the live Kubernetes view on the test bed", .privileged, .kubeEmulator)
struct KubernetesLiveTests {
    static let node = "ctw-bed"
    static let token = "ctwatch-e2e-4f2a"

    static func pod(_ name: String, ip: String, ip6: String) -> String {
        """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","namespace":"shop","creationTimestamp":"2026-11-30T08:00:00Z",
        "labels":{"app":"\(name.split(separator: "-").first ?? "")"}},"spec":{"nodeName":"\(node)",
        "containers":[{"name":"app","image":"registry.example/app:1.4","ports":[{"containerPort":8080}]}]},
        "status":{"phase":"Running","podIP":"\(ip)","podIPs":[{"ip":"\(ip)"},{"ip":"\(ip6)"}],"hostIP":"10.224.1.1"}}
        """
    }

    /// shop/cart as the bed writes its rules: cluster IPs, NodePort 30081, externalIP 192.0.2.80.
    static let cart = """
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"cart","namespace":"shop"},
        "spec":{"type":"NodePort","clusterIP":"10.233.53.172","clusterIPs":["10.233.53.172","fd00:233::172"],
        "ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"PreferDualStack","externalIPs":["192.0.2.80","2001:db8::80"],
        "ports":[{"name":"http","port":8080,"protocol":"TCP","targetPort":8080,"nodePort":30081},
        {"name":"udp","port":8080,"protocol":"UDP","targetPort":8080,"nodePort":30081},
        {"name":"slow","port":8081,"protocol":"UDP","targetPort":8081,"nodePort":30082}],"selector":{"app":"cart"}},
        "status":{"loadBalancer":{}}}
        """

    static func cartSlice(_ addresses: [(ip: String, pod: String, node: String)]) -> String {
        let endpoints = addresses.map {
            """
            {"addresses":["\($0.ip)"],"conditions":{"ready":true,"serving":true,"terminating":false},
            "nodeName":"\($0.node)","targetRef":{"kind":"Pod","name":"\($0.pod)","namespace":"shop"}}
            """
        }
        return """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"cart-v4","namespace":"shop",
            "labels":{"kubernetes.io/service-name":"cart","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io"}},
            "addressType":"IPv4","endpoints":[\(endpoints.joined(separator: ","))],
            "ports":[{"name":"http","port":8080,"protocol":"TCP"},{"name":"udp","port":8080,"protocol":"UDP"}]}
            """
    }

    static let objects: [String: [String]] = [
        "v1/pods": [
            pod("frontend-7c9d8b5f4-x2x7p", ip: "10.224.1.34", ip6: "fd00:224:1::34"),
            pod("cart-5d6f7b8c9-k4m2n", ip: "10.224.1.56", ip6: "fd00:224:1::56"),
        ],
        "v1/services": [cart],
        "discovery.k8s.io/v1/endpointslices": [cartSlice([("10.224.1.56", "cart-5d6f7b8c9-k4m2n", node)])],
        "v1/nodes": [
            """
            {"apiVersion":"v1","kind":"Node","metadata":{"name":"\(node)"},
            "spec":{"podCIDR":"10.224.1.0/24","podCIDRs":["10.224.1.0/24","fd00:224:1::/64"]},
            "status":{"addresses":[{"type":"InternalIP","address":"172.18.0.3"},{"type":"Hostname","address":"\(node)"}]}}
            """
        ],
    ]

    /// A bed and an emulator, and the arguments that point ctwatch at both.
    static func with(_ body: (TestBed, KubeEmulator, [String]) async throws -> Void) async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await KubeEmulator.with(tls: true, token: token, objects: objects) { emulator in
                let kubeconfig = emulator.directory + "/kubeconfig"
                try await emulator.writeKubeconfig(path: kubeconfig, token: token)
                try await body(bed, emulator, ["--netns", bed.node, "--kubeconfig", kubeconfig, "--node", node])
            }
        }
    }

    /// Writes `items` as a `kubectl get ... -o json` list (kind List) to `file`; its path.
    static func writeList(_ items: [String], to file: URL) throws -> String {
        let list = #"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":["#
        try Data((list + items.joined(separator: ",") + "]}").utf8).write(to: file)
        return file.path
    }

    static func value(_ object: [String: Any], _ path: String...) -> Any? {
        var current: Any? = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }

    @Test(
        "stuck --kubernetes, no --cidr: ClusterIP, NodePort and externalIP calls found, both pods and the Service named"
    )
    func stuckNamed() async throws {
        try await Self.with { bed, _, kube in
            try await bed.bridgeNF(false)
            for target in ["cluster", "nodeport", "external"] {
                let call = try await bed.call(to: target)
                #expect(call.status != 0, "with bridge-nf off the call hangs: \(call)")
            }
            let result = try await CTWatchBinary.run(["stuck", "--min-age", "0", "--json"] + kube, timeout: 90)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("spec.podCIDRs"), "the subnet comes from the Node: \(result.stderr)")
            #expect(!result.stderr.contains(Self.token))
            let alerts = try StuckIntegrationTests.objects(result)
            let destinations = Set(alerts.compactMap { Self.value($0, "destination", "ip") as? String })
            #expect(destinations == ["10.233.53.172", "10.224.1.1", "192.0.2.80"], "\(result.stdout)")
            for alert in alerts {
                #expect(Self.value(alert, "ctwatch", "source", "pod", "name") as? String == "frontend-7c9d8b5f4-x2x7p")
                #expect(Self.value(alert, "ctwatch", "backend", "pod", "name") as? String == "cart-5d6f7b8c9-k4m2n")
                #expect(Self.value(alert, "ctwatch", "service", "name") as? String == "cart")
                #expect(
                    Self.value(alert, "ctwatch", "diagnosis", "code") as? String == "bridge-nf-call-iptables-disabled")
            }
            // list names the same flows.
            let list = try await CTWatchBinary.run(["list", "--json", "--dnat"] + kube, timeout: 90)
            #expect(list.status == 0, "\(list)")
            let entries = try StuckIntegrationTests.objects(list)
            #expect(
                entries.contains { Self.value($0, "ctwatch", "service", "name") as? String == "cart" }, "\(list.stdout)"
            )
            // Text lines end with the names, after conntrack -L's fields.
            let text = try await CTWatchBinary.run(["list", "--dnat"] + kube, timeout: 90)
            let names = " pod=shop/frontend-7c9d8b5f4-x2x7p service=shop/cart backend=shop/cart-5d6f7b8c9-k4m2n"
            #expect(text.stdoutLines.contains { $0.contains("dport=8080") && $0.hasSuffix(names) }, "\(text.stdout)")
        }
    }

    @Test(
        "stuck --watch --kubernetes: a Service losing the endpoint a UDP client is pinned to is reported stale-endpoint"
    )
    func staleEndpoint() async throws {
        try await Self.with { bed, emulator, kube in
            // bridge-nf on: the client's datagrams are answered; its entry is replied and refreshed.
            try await bed.startUDPClient(sourcePort: 5300, interval: 0.2)
            let watch = try CTWatchBinary.start(
                ["stuck", "--watch", "--json", "--min-age", "0", "--resync-interval", "1"] + kube)
            defer { watch.signal(SIGKILL) }
            #expect(await watch.waitForStderr(containing: "Kubernetes API synced", timeout: 60), "\(watch.stderrSoFar)")
            // The Service's endpoints move to C; the node's rules (no kube-proxy here) still say B.
            try await emulator.apply(
                "discovery.k8s.io/v1/endpointslices",
                Self.cartSlice([("10.224.2.20", "cart-5d6f7b8c9-q8r3s", "ctw-worker2")]))
            let reported = await watch.waitForStdout(timeout: 60) { lines in
                lines.contains { $0.contains("\"dnat-stale-backend\"") && $0.contains("\"stale-endpoint\"") }
            }
            #expect(reported, "stdout: \(watch.stdoutSoFar)\nstderr: \(watch.stderrSoFar)")
            let result = await watch.stop(SIGTERM, timeout: 20)
            #expect(result.status == 0, "\(result.stderr)")
            let alerts = try StuckIntegrationTests.objects(result).filter {
                Self.value($0, "event", "action") as? String == "dnat-stale-backend"
            }
            let alert = try #require(alerts.first, "\(result.stdout)")
            #expect(Self.value(alert, "source", "port") as? Int == 5300)
            #expect(Self.value(alert, "ctwatch", "service", "name") as? String == "cart")
            #expect(Self.value(alert, "ctwatch", "backend", "pod", "name") as? String == "cart-5d6f7b8c9-k4m2n")
            let explanation = Self.value(alert, "ctwatch", "diagnosis", "explanation") as? String ?? ""
            #expect(explanation.contains("10.224.2.20") && explanation.contains("shop/cart"), "\(explanation)")
        }
    }

    @Test("events --kubernetes: the lines of a call carry the client pod, the Service and the backend pod")
    func eventsNamed() async throws {
        try await Self.with { bed, _, kube in
            let tail = try CTWatchBinary.start(["events", "--json"] + kube)
            defer { tail.signal(SIGKILL) }
            #expect(await tail.waitForStderr(containing: "Kubernetes API synced", timeout: 60), "\(tail.stderrSoFar)")
            let call = try await bed.call()
            #expect(call.status == 0, "\(call)")
            let named = await tail.waitForStdout(timeout: 30) { lines in
                lines.contains { $0.contains("\"conntrack-new\"") && $0.contains("\"cart-5d6f7b8c9-k4m2n\"") }
            }
            #expect(named, "\(tail.stdoutSoFar)")
            let result = await tail.stop(SIGTERM, timeout: 20)
            let new = try StuckIntegrationTests.objects(result).first {
                Self.value($0, "event", "action") as? String == "conntrack-new"
                    && Self.value($0, "destination", "ip") as? String == "10.233.53.172"
            }
            let line = try #require(new, "\(result.stdout)")
            #expect(Self.value(line, "ctwatch", "source", "pod", "name") as? String == "frontend-7c9d8b5f4-x2x7p")
            #expect(Self.value(line, "ctwatch", "service", "namespace") as? String == "shop")
            #expect(Self.value(line, "ctwatch", "backend", "pod", "name") as? String == "cart-5d6f7b8c9-k4m2n")
        }
    }

    @Test("offline, --endpoints: a UDP client pinned to an address that is no endpoint any more is stale-endpoint")
    func staleEndpointFromFiles() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.startUDPClient(sourcePort: 5301, interval: 0.2)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctw-files-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func write(_ name: String, _ items: [String]) throws -> String {
                try Self.writeList(items, to: directory.appendingPathComponent(name))
            }
            let files = [
                "--pods", try write("pods.json", Self.objects["v1/pods"] ?? []),
                "--services", try write("services.json", [Self.cart]),
                "--endpoints",
                try write(
                    "endpointslices.json", [Self.cartSlice([("10.224.2.20", "cart-5d6f7b8c9-q8r3s", "ctw-worker2")])]),
            ]
            let stale = try await Poll.value(timeout: 30) { () -> [String: Any]? in
                let result = try await CTWatchBinary.run(
                    ["stuck", "--netns", bed.node, "--cidr", "10.224.1.0/24", "--min-age", "0", "--json"] + files)
                return try StuckIntegrationTests.objects(result).first {
                    Self.value($0, "event", "action") as? String == "dnat-stale-backend"
                        && Self.value($0, "source", "port") as? Int == 5301
                }
            }
            let alert = try #require(stale, "the pinned UDP client's entry is reported")
            #expect(Self.value(alert, "ctwatch", "diagnosis", "code") as? String == "stale-endpoint")
            #expect(Self.value(alert, "ctwatch", "service", "name") as? String == "cart")
            #expect(Self.value(alert, "ctwatch", "source", "pod", "name") as? String == "frontend-7c9d8b5f4-x2x7p")
        }
    }
}
