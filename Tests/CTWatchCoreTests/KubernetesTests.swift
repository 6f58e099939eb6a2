import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// KubernetesTests reads kubectl-shaped fixtures (Fixtures/*.json) of a
/// dual-stack kind cluster "ctw": pods 10.224.<node>.x / fd00:224:<node>::x,
/// services 10.233.x / fd00:233::x, nodes 172.18.0.2-4.
///
/// - pods.json: `kubectl get pods -A -o json` (List, 17 pods in every phase,
///   host-network pods, a Failed pod and a Running pod sharing 10.224.1.56,
///   a Failed and an Unknown pod sharing 10.224.2.23)
/// - podlist-api.json: `kubectl get --raw /api/v1/namespaces/shop/pods | jq .`
///   (PodList, items without kind/apiVersion, managedFields)
/// - pod-frontend.json: `kubectl get pod -n shop frontend-7c9d8b5f4-x2x7p -o json`
/// - services.json: `kubectl get svc -A -o json`; service-cart.json: one Service
/// - deployments.json: `kubectl get deploy -n shop -o json` (the wrong document)
/// - empty-list.json: what kubectl prints when nothing matches
///
/// Each document is loaded as `--pods`/`--services` load a file
/// (`ClusterState.loadPods(json:path:)`) and looked up in its `ClusterView`.
@Suite("Kubernetes documents")
struct KubernetesTests {
    static func fixtureURL(_ name: String) throws -> URL {
        try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
            "fixture \(name).json is missing from the test bundle")
    }

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: fixtureURL(name))
    }

    static func ip(_ text: String) throws -> IPAddress {
        try #require(IPAddress(text))
    }

    /// The KubeDocumentError thrown by `body`, or nil (recording an issue for any other error).
    static func error(_ body: () throws -> Void) -> KubeDocumentError? {
        thrownError(KubeDocumentError.self, body)
    }

    /// The state `--pods FILE` makes of `json`, errors naming `path`.
    static func podState(_ json: Data, path: String = "pods.json") throws(KubeDocumentError) -> ClusterState {
        var state = ClusterState()
        try state.loadPods(json: json, path: path)
        return state
    }

    /// The view of the pods in `json`.
    static func pods(_ json: Data, path: String = "pods.json") throws(KubeDocumentError) -> ClusterView {
        try podState(json, path: path).view()
    }

    /// The view of the Services in `json`, as `--services FILE` loads them.
    static func services(_ json: Data, path: String = "services.json") throws(KubeDocumentError) -> ClusterView {
        var state = ClusterState()
        try state.loadServices(json: json, path: path)
        return state.view()
    }

    /// The pods that own an address in `state`'s view, and the addresses owned.
    static func owners(_ state: ClusterState) -> (pods: Set<KubeObjectRef>, addresses: Set<IPAddress>) {
        let view = state.view()
        var pods = Set<KubeObjectRef>()
        var addresses = Set<IPAddress>()
        for address in state.pods.values.flatMap(\.addresses) {
            guard let pod = view.pod(for: address) else { continue }
            pods.insert(pod)
            addresses.insert(address)
        }
        return (pods, addresses)
    }

    /// Re-serialises a List with its items in reverse order.
    static func reversedList(_ data: Data) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let items = try #require(object["items"] as? [Any])
        object["items"] = Array(items.reversed())
        return try JSONSerialization.data(withJSONObject: object)
    }

    // MARK: pods

    static let podsByIP: [(String, String?)] = [
        ("10.224.1.34", "shop/frontend-7c9d8b5f4-x2x7p"),
        ("fd00:224:1::34", "shop/frontend-7c9d8b5f4-x2x7p"),
        // A Failed (evicted) pod listed first still holds 10.224.1.56; the Running one wins.
        ("10.224.1.56", "shop/cart-5d6f7b8c9-k4m2n"),
        ("fd00:224:1::56", "shop/cart-5d6f7b8c9-k4m2n"),
        // Unknown beats Failed on 10.224.2.23.
        ("10.224.2.23", "shop/recommender-84c6f9d7b-t6hjs"),
        ("fd00:224:2::23", "shop/recommender-84c6f9d7b-t6hjs"),
        // A finished pod is still the best answer when nobody else has the IP.
        ("10.224.2.17", "shop/db-migrate-28934520-vx9kd"),
        ("10.224.0.3", "kube-system/coredns-6f6b679f8f-7m2xq"),
        ("fd00:224::4", "kube-system/coredns-6f6b679f8f-dj9ft"),
        ("10.224.0.2", "local-path-storage/local-path-provisioner-57c5987fd4-hk7qs"),
        ("10.224.2.5", "default/debug-shell"),
        ("fd00:224:2::5", "default/debug-shell"),
        // Node addresses: only host-network pods (etcd, kindnet, kube-proxy, node-exporter) have them.
        ("172.18.0.2", nil),
        ("172.18.0.3", nil),
        ("172.18.0.4", nil),
        ("fc00:f853:ccd:e793::2", nil),
        ("fc00:f853:ccd:e793::3", nil),
        // Not pods at all.
        ("10.224.1.99", nil),
        ("10.233.53.172", nil),
    ]

    @Test("pods.json maps pod IPs to namespace/name", arguments: podsByIP)
    func podMapping(address: String, expected: String?) throws {
        let pods = try Self.pods(Self.fixture("pods"))
        #expect(pods.pod(for: try Self.ip(address))?.description == expected)
    }

    @Test("the winner of a shared IP does not depend on listing order", arguments: podsByIP)
    func podOrderIndependence(address: String, expected: String?) throws {
        let pods = try Self.pods(Self.reversedList(Self.fixture("pods")))
        #expect(pods.pod(for: try Self.ip(address))?.description == expected)
    }

    @Test("pods.json counts: host-network, Pending and outranked pods own nothing")
    func podCounts() throws {
        let state = try Self.podState(Self.fixture("pods"))
        // Every pod is held; only some own an address.
        #expect(state.view().podCount == 17)
        let owners = Self.owners(state)
        // debug-shell, 2 x coredns, local-path-provisioner, cart-k4m2n,
        // db-migrate, frontend, recommender-t6hjs; two addresses each.
        #expect(owners.pods.count == 8)
        #expect(owners.addresses.count == 16)
        #expect(state.view().pod(for: try Self.ip("10.224.1.56"))?.name != "cart-5d6f7b8c9-b7lfx")
    }

    @Test("an API PodList without item kinds")
    func apiPodList() throws {
        let state = try Self.podState(Self.fixture("podlist-api"))
        let pods = state.view()
        #expect(
            pods.pod(for: try Self.ip("10.224.1.34"))
                == KubeObjectRef(namespace: "shop", name: "frontend-7c9d8b5f4-x2x7p"))
        #expect(pods.pod(for: try Self.ip("fd00:224:1::56"))?.description == "shop/cart-5d6f7b8c9-k4m2n")
        #expect(Self.owners(state).pods.count == 2)
    }

    @Test("a single Pod object")
    func singlePod() throws {
        let state = try Self.podState(Self.fixture("pod-frontend"))
        #expect(state.view().podCount == 1)
        #expect(Self.owners(state).addresses.count == 2)
        #expect(state.view().pod(for: try Self.ip("10.224.1.34"))?.description == "shop/frontend-7c9d8b5f4-x2x7p")
        #expect(state.view().pod(for: try Self.ip("fd00:224:1::34"))?.description == "shop/frontend-7c9d8b5f4-x2x7p")
    }

    @Test("a host-network pod is left out even when it is the only claim")
    func hostNetworkOnly() throws {
        let json =
            #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"kube-proxy-6tplh","namespace":"kube-system"},"spec":{"hostNetwork":true},"status":{"phase":"Running","podIP":"172.18.0.3","podIPs":[{"ip":"172.18.0.3"}]}}"#
        let state = try Self.podState(Data(json.utf8))
        #expect(state.view().podCount == 1)
        #expect(Self.owners(state).pods.isEmpty)
        #expect(state.view().pod(for: try Self.ip("172.18.0.3")) == nil)
    }

    @Test(
        "phase ranking: Running > Pending/Unknown > Succeeded/Failed, then newest",
        arguments: [
            (("Failed", "2025-11-26T10:00:00Z"), ("Running", "2025-11-20T10:00:00Z"), "b"),
            (("Running", "2025-11-20T10:00:00Z"), ("Succeeded", "2025-11-26T10:00:00Z"), "a"),
            (("Pending", "2025-11-20T10:00:00Z"), ("Failed", "2025-11-26T10:00:00Z"), "a"),
            (("Succeeded", "2025-11-26T10:00:00Z"), ("Unknown", "2025-11-20T10:00:00Z"), "b"),
            (("Failed", "2025-11-20T10:00:00Z"), ("Succeeded", "2025-11-26T10:00:00Z"), "b"),
            (("Failed", "2025-11-26T10:00:00Z"), ("Succeeded", "2025-11-20T10:00:00Z"), "a"),
            (("Running", "2025-11-20T10:00:00Z"), ("Running", "2025-11-20T10:00:00Z"), "a"),
        ])
    func ranking(first: (String, String), second: (String, String), winner: String) throws {
        func pod(_ name: String, _ state: (String, String)) -> String {
            #"{"kind":"Pod","metadata":{"name":"\#(name)","namespace":"ns","creationTimestamp":"\#(state.1)"},"spec":{},"status":{"phase":"\#(state.0)","podIP":"10.0.0.7"}}"#
        }
        let json = #"{"kind":"List","items":[\#(pod("a", first)),\#(pod("b", second))]}"#
        #expect(try Self.pods(Data(json.utf8)).pod(for: try Self.ip("10.0.0.7"))?.name == winner)
    }

    @Test("a List mixing kinds: each load takes its own")
    func mixedList() throws {
        let podItems = try #require(
            (try JSONSerialization.jsonObject(with: Self.fixture("pods")) as? [String: Any])?["items"] as? [Any])
        let serviceItems = try #require(
            (try JSONSerialization.jsonObject(with: Self.fixture("services")) as? [String: Any])?["items"] as? [Any])
        let mixed = try JSONSerialization.data(withJSONObject: [
            "apiVersion": "v1", "kind": "List", "items": serviceItems + podItems,
        ])
        var state = ClusterState()
        try state.loadPods(json: mixed, path: "mixed.json")
        try state.loadServices(json: mixed, path: "mixed.json")
        let view = state.view()
        #expect(view.podCount == 17)
        #expect(view.serviceCount == 8)
        #expect(Self.owners(state).pods.count == 8)
        #expect(view.pod(for: try Self.ip("10.224.1.34"))?.name == "frontend-7c9d8b5f4-x2x7p")
        #expect(
            view.service(destination: try Self.ip("10.233.53.172"), port: 8080, transport: .tcp)?.service.name == "cart"
        )
    }

    @Test("an empty List holds nothing, and is not an error")
    func emptyList() throws {
        #expect(try Self.pods(Self.fixture("empty-list")).podCount == 0)
        #expect(try Self.services(Self.fixture("empty-list")).serviceCount == 0)
        #expect(
            try Self.pods(Data(#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":null}"#.utf8)).podCount
                == 0)
        #expect(ClusterView().podCount == 0)
        #expect(ClusterView().serviceCount == 0)
    }

    @Test("an empty List replaces what an earlier file held")
    func emptyListReplaces() throws {
        var state = try Self.podState(Self.fixture("pods"))
        try state.loadPods(json: Self.fixture("empty-list"), path: "pods.json")
        #expect(state.view().podCount == 0)
        #expect(state.view().pod(for: try Self.ip("10.224.1.34")) == nil)
    }

    // MARK: services

    static let servicesByIP: [(String, UInt16, String, String?)] = [
        ("10.233.0.1", 443, "tcp", "default/kubernetes"),
        ("10.233.0.10", 53, "udp", "kube-system/kube-dns"),
        ("10.233.0.10", 53, "tcp", "kube-system/kube-dns"),
        ("10.233.0.10", 9153, "tcp", "kube-system/kube-dns"),
        ("10.233.53.172", 8080, "tcp", "shop/cart"),
        ("fd00:233::172", 8080, "tcp", "shop/cart"),
        // A Service's address on a port or protocol it does not expose reaches no Service.
        ("10.233.53.172", 9999, "tcp", nil),
        ("10.233.53.172", 8080, "udp", nil),
        ("10.233.0.10", 9153, "udp", nil),
        ("10.233.12.40", 80, "tcp", "shop/frontend"),
        ("10.233.31.7", 443, "tcp", "shop/storefront"),
        // The load-balancer ingress address reaches its Service too.
        ("172.18.255.200", 443, "tcp", "shop/storefront"),
        // A node port, without the node's addresses known, and a pod address: no Service.
        ("172.18.0.3", 30080, "tcp", nil),
        ("10.224.1.56", 8080, "tcp", nil),
    ]

    static func transport(_ name: String) throws -> TransportProtocol {
        switch name {
        case "tcp": .tcp
        case "udp": .udp
        default: try #require(nil as TransportProtocol?, "no transport \(name)")
        }
    }

    @Test("services.json maps cluster IP and port to namespace/name", arguments: servicesByIP)
    func serviceMapping(address: String, port: UInt16, transport: String, expected: String?) throws {
        let services = try Self.services(Self.fixture("services"))
        let match = services.service(
            destination: try Self.ip(address), port: port, transport: try Self.transport(transport))
        #expect(match?.service.description == expected)
        if let match { #expect(match.port.port == port) }
    }

    @Test("how a Service is reached: cluster IP, load-balancer IP, node port")
    func serviceMatchKinds() throws {
        let services = try Self.services(Self.fixture("services"))
        #expect(
            services.service(destination: try Self.ip("fd00:233::172"), port: 8080, transport: .tcp)?.kind == .clusterIP
        )
        #expect(
            services.service(destination: try Self.ip("172.18.255.200"), port: 443, transport: .tcp)?.kind
                == .loadBalancerIP)
        // 10.233.53.172 is cart's on every port: an address of a Service, though 9999 reaches nothing.
        #expect(services.isServiceAddress(try Self.ip("10.233.53.172")))
        #expect(!services.isServiceAddress(try Self.ip("10.224.1.56")))
        let node = services.addingNodeAddresses([try Self.ip("172.18.0.3")])
        let nodePort = node.service(destination: try Self.ip("172.18.0.3"), port: 30080, transport: .tcp)
        #expect(nodePort?.service.description == "shop/frontend")
        #expect(nodePort?.kind == .nodePort)
        #expect(nodePort?.port.port == 80)
    }

    @Test("headless and ExternalName services are held but have no cluster IP")
    func serviceCounts() throws {
        var state = ClusterState()
        try state.loadServices(json: Self.fixture("services"), path: "services.json")
        #expect(state.view().serviceCount == 8)
        // kubernetes, kube-dns, cart (two families), frontend, storefront.
        let withClusterIP = state.services.values.filter { !$0.clusterIPs.isEmpty }
        #expect(withClusterIP.count == 5)
        #expect(withClusterIP.reduce(0) { $0 + $1.clusterIPs.count } == 6)
        for name in ["node-exporter", "cart-headless", "payments-api"] {
            #expect(state.services.values.first { $0.ref.name == name }?.clusterIPs == [], "\(name)")
        }
    }

    @Test("a single Service object")
    func singleService() throws {
        let services = try Self.services(Self.fixture("service-cart"))
        #expect(services.serviceCount == 1)
        #expect(
            services.service(destination: try Self.ip("fd00:233::172"), port: 8080, transport: .tcp)?.service
                .description == "shop/cart")
    }

    /// Two Services claiming one cluster IP (documents of two clusters, a
    /// restore), and blue/web listed twice: the later listing replaces the
    /// earlier, as an update would.
    static let sharedIP = #"""
        {"apiVersion":"v1","kind":"ServiceList","items":[
         {"metadata":{"name":"web","namespace":"blue"},"spec":{"type":"ClusterIP","clusterIP":"10.233.99.1","ports":[{"port":80,"protocol":"TCP"}]}},
         {"metadata":{"name":"dns","namespace":"green"},"spec":{"type":"ClusterIP","clusterIP":"10.233.99.1","clusterIPs":["10.233.99.1"],"ports":[{"port":53,"protocol":"UDP"},{"port":80,"protocol":"udp"}]}},
         {"metadata":{"name":"web","namespace":"blue"},"spec":{"type":"ClusterIP","clusterIP":"10.233.99.1","ports":[{"port":80,"protocol":"TCP"},{"port":443}]}}
        ]}
        """#

    @Test(
        "several services on one IP: port and protocol decide",
        arguments: [
            (UInt16(80), "tcp", String?("blue/web")),
            (443, "tcp", "blue/web"),  // protocol omitted in the spec means TCP; the later listing counts
            (443, "udp", nil),
            (53, "udp", "green/dns"),
            (53, "tcp", nil),
            (80, "udp", "green/dns"),  // protocol in the spec in lower case
            (8080, "tcp", nil),
        ])
    func sharedClusterIP(port: UInt16, transport: String, expected: String?) throws {
        let services = try Self.services(Data(Self.sharedIP.utf8))
        #expect(services.serviceCount == 2)
        #expect(
            services.service(
                destination: try Self.ip("10.233.99.1"), port: port, transport: try Self.transport(transport))?
                .service.description == expected)
    }

    // MARK: errors

    @Test("not JSON: kubectl's own error text")
    func notJSON() throws {
        let error = Self.error {
            _ = try Self.pods(Data("error: You must be logged in to the server (Unauthorized)\n".utf8))
        }
        #expect(
            error?.description
                == #"pods file "pods.json": not JSON (an invalid value "error" at line 1, column 1), it starts with "error: You must be logged in to the server (Unauthorized)"; expected the output of kubectl get pods -A -o json"#
        )
    }

    @Test("not JSON: the quoted start keeps apostrophes and escapes quotes")
    func quoting() throws {
        let error = Self.error {
            _ = try Self.pods(Data("\n  error: the server doesn't have a resource type \"podz\"\n".utf8))
        }
        #expect(
            error?.description
                == #"pods file "pods.json": not JSON (an invalid value "error" at line 2, column 3), it starts with "error: the server doesn't have a resource type \"podz\""; expected the output of kubectl get pods -A -o json"#
        )
    }

    @Test("not JSON: YAML gets a hint")
    func yaml() throws {
        let error = Self.error {
            _ = try Self.services(Data("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Service\n".utf8))
        }
        #expect(error?.description.hasPrefix(#"services file "services.json": not JSON ("#) == true)
        #expect(
            error?.description.hasSuffix(
                #"it starts with "apiVersion: v1"; this looks like YAML; use kubectl get svc -A -o json"#) == true)
    }

    @Test("not JSON: a truncated file reports where")
    func truncated() throws {
        let data = try Self.fixture("pods").prefix(300)
        let error = Self.error { _ = try Self.pods(data) }
        guard case .notJSON(let detail, let start)? = error?.reason else {
            Issue.record("expected notJSON, got \(String(describing: error))")
            return
        }
        #expect(start == "{")
        #expect(detail.contains("line") || detail.contains("end of file"), "detail: \(detail)")
    }

    @Test(
        "errors: wrong documents",
        arguments: [
            (
                "", KubeDocumentError.Reason.empty,
                "pods file \"pods.json\": empty; expected the output of kubectl get pods -A -o json"
            ),
            ("  \n", .empty, "pods file \"pods.json\": empty; expected the output of kubectl get pods -A -o json"),
            (
                "[]", .notAnObject,
                "pods file \"pods.json\": expected a JSON object, the output of kubectl get pods -A -o json"
            ),
            (
                #""Pod""#, .notAnObject,
                "pods file \"pods.json\": expected a JSON object, the output of kubectl get pods -A -o json"
            ),
            (
                "{}", .wrongKind(found: nil, expected: ["List", "PodList", "Pod"]),
                #"pods file "pods.json": expected kind List/PodList/Pod, got an object without "kind""#
            ),
            (
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"cart"}}"#,
                .wrongKind(found: "Deployment", expected: ["List", "PodList", "Pod"]),
                #"pods file "pods.json": expected kind List/PodList/Pod, got "Deployment""#
            ),
            (
                #"{"apiVersion":"apps/v1","kind":"DeploymentList","items":[]}"#,
                .wrongKind(found: "DeploymentList", expected: ["List", "PodList", "Pod"]),
                #"pods file "pods.json": expected kind List/PodList/Pod, got "DeploymentList""#
            ),
            (
                #"{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"x"},"spec":{"hostNetwork":"yes"}}]}"#,
                .malformed(path: "items[0].spec.hostNetwork", detail: "expected true or false"),
                "pods file \"pods.json\": unexpected value at items[0].spec.hostNetwork: expected true or false"
            ),
            (
                #"{"kind":"Pod","metadata":{"name":"x"},"status":{"podIPs":"10.0.0.1"}}"#,
                .malformed(path: "status.podIPs", detail: "expected an array"),
                "pods file \"pods.json\": unexpected value at status.podIPs: expected an array"
            ),
            (
                #"{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"x"},"status":{"podIPs":[{"ip":7}]}}]}"#,
                .malformed(path: "items[0].status.podIPs[0].ip", detail: "expected a string"),
                "pods file \"pods.json\": unexpected value at items[0].status.podIPs[0].ip: expected a string"
            ),
            (
                #"{"kind":"List","items":[{"kind":"Pod","metadata":"x"}]}"#,
                .malformed(path: "items[0].metadata", detail: "expected an object"),
                "pods file \"pods.json\": unexpected value at items[0].metadata: expected an object"
            ),
            // The API requires a name: a pod without one is a damaged file, not a pod to skip.
            (
                #"{"kind":"List","items":[{"kind":"Pod","metadata":{"namespace":"shop"},"status":{"podIP":"10.0.0.1"}}]}"#,
                .malformed(path: "items[0].metadata", detail: #"missing "name""#),
                #"pods file "pods.json": unexpected value at items[0].metadata: missing "name""#
            ),
            (
                #"{"kind":"Pod","status":{"podIP":"10.0.0.1"}}"#,
                .malformed(path: "(document)", detail: #"missing "metadata""#),
                #"pods file "pods.json": unexpected value at (document): missing "metadata""#
            ),
            (
                #"{"kind":"List","items":[null]}"#,
                .malformed(path: "items[0]", detail: "expected an object, found null"),
                "pods file \"pods.json\": unexpected value at items[0]: expected an object, found null"
            ),
        ])
    func wrongDocuments(json: String, reason: KubeDocumentError.Reason, message: String) {
        let error = Self.error { _ = try Self.pods(Data(json.utf8)) }
        #expect(error?.reason == reason)
        #expect(error?.description == message)
        #expect(error?.localizedDescription == message)
    }

    @Test("errors: a List of Deployments is not a pods list")
    func deploymentList() throws {
        let data = try Self.fixture("deployments")
        let error = Self.error { _ = try Self.pods(data) }
        #expect(error?.reason == .wrongItemKinds(found: ["Deployment"], expected: ["List", "PodList", "Pod"]))
        #expect(
            error?.description == #"pods file "pods.json": expected kind List/PodList/Pod, got a List of "Deployment""#)
    }

    @Test("errors: pods and services files swapped")
    func swapped() throws {
        let pods = try Self.fixture("pods")
        let services = try Self.fixture("services")
        let cart = try Self.fixture("service-cart")
        #expect(
            Self.error { _ = try Self.services(pods) }?.description
                == #"services file "services.json": expected kind List/ServiceList/Service, got a List of "Pod""#)
        #expect(
            Self.error { _ = try Self.pods(services) }?.description
                == #"pods file "pods.json": expected kind List/PodList/Pod, got a List of "Service""#)
        #expect(
            Self.error { _ = try Self.pods(cart) }?.description
                == #"pods file "pods.json": expected kind List/PodList/Pod, got "Service""#)
    }

    // MARK: naming the file

    @Test("loading names the file in errors")
    func fromPath() throws {
        let podsPath = try Self.fixtureURL("pods").path
        #expect(try Self.pods(Self.fixture("pods"), path: podsPath).podCount == 17)
        #expect(try Self.services(Self.fixture("services"), path: Self.fixtureURL("services").path).serviceCount == 8)

        let deploymentsPath = try Self.fixtureURL("deployments").path
        let error = Self.error { _ = try Self.pods(Self.fixture("deployments"), path: deploymentsPath) }
        #expect(error?.path == deploymentsPath)
        #expect(
            error?.description
                == "pods file \"\(deploymentsPath)\": expected kind List/PodList/Pod, got a List of \"Deployment\"")
        let serviceError = Self.error { _ = try Self.services(Self.fixture("deployments"), path: "-") }
        #expect(serviceError?.path == "-")
        #expect(
            serviceError?.description.hasPrefix("services on standard input: expected kind List/ServiceList/Service")
                == true)
    }

    @Test("standard input is named as such, data from no file as a document")
    func standardInputWording() {
        let error = KubeDocumentError(subject: "pods", path: "-", reason: .empty)
        #expect(
            error.description == "pods on standard input: empty; expected the output of kubectl get pods -A -o json")
        #expect(
            KubeDocumentError(subject: "services", path: nil, reason: .notAnObject).description
                == "services document: expected a JSON object, the output of kubectl get svc -A -o json")
    }

    // MARK: KubeObjectRef

    @Test("KubeObjectRef prints, sorts and encodes as namespace/name")
    func objectRef() throws {
        let ref = KubeObjectRef(namespace: "shop", name: "cart-5d6f7b8c9-k4m2n")
        #expect(ref.description == "shop/cart-5d6f7b8c9-k4m2n")
        #expect(KubeObjectRef(namespace: "default", name: "z") < KubeObjectRef(namespace: "shop", name: "a"))
        let encoded = try JSONEncoder().encode(ref)
        #expect(try JSONDecoder().decode(KubeObjectRef.self, from: encoded) == ref)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: String])
        #expect(object == ["namespace": "shop", "name": "cart-5d6f7b8c9-k4m2n"])
    }
}
