import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// ClusterStateTests reads kubectl-shaped documents of the dual-stack kind
/// cluster "ctw" (see KubernetesTests) seen from the node ctw-worker
/// (172.18.0.3, pod subnets 10.224.1.0/24 and fd00:224:1::/64):
///
/// - Fixtures/pods.json: `kubectl get pods -A -o json` (a Failed and a
///   Running pod sharing 10.224.1.56, host-network pods)
/// - kubernetes/services.json: `kubectl get svc -A -o json`: ClusterIP,
///   dual-stack, headless, ExternalName, NodePort (TCP 30080, UDP 30514),
///   LoadBalancer (ingress 172.18.255.200, node port 31443), externalIPs
///   (198.51.100.20, a Service with no selector and so no slices)
/// - kubernetes/endpointslices.json: `kubectl get endpointslices -A -o json`:
///   the cart Service's IPv4 and IPv6 slices hold a ready endpoint here, a
///   ready one on ctw-worker2, a not-ready one, a terminating one still
///   serving and a terminating one no longer serving; storefront's slice
///   has `"endpoints": null`; the kubernetes slice has no targetRef
/// - kubernetes/endpointslicelist-api.json: the same from
///   `kubectl get --raw /apis/discovery.k8s.io/v1/endpointslices` (EndpointSliceList, managedFields)
/// - kubernetes/node-ctw-worker.json: `kubectl get node ctw-worker -o json`
/// - kubernetes/nodes-single-cidr.json: `kubectl get nodes -o json` of a node with only `spec.podCIDR`
@Suite("Cluster state and view")
struct ClusterStateTests {
    static func fixture(_ name: String, in folder: String = "Fixtures/kubernetes") throws -> Data {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: folder),
            "fixture \(folder)/\(name).json is missing from the test bundle")
        return try Data(contentsOf: url)
    }

    static func ip(_ text: String) throws -> IPAddress {
        try #require(IPAddress(text))
    }

    static func ref(_ text: String) -> KubeObjectRef {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        return KubeObjectRef(namespace: parts[0], name: parts[1])
    }

    /// The whole offline state: pods, Services, slices and this node.
    static func state() throws -> ClusterState {
        var state = ClusterState()
        try state.loadPods(json: fixture("pods", in: "Fixtures"), path: "pods.json")
        try state.loadServices(json: fixture("services"), path: "services.json")
        try state.loadEndpointSlices(json: fixture("endpointslices"), path: "endpointslices.json")
        try state.loadNodes(json: fixture("node-ctw-worker"), path: "node.json")
        return state
    }

    @Test func countsWhatTheFilesHold() throws {
        let view = try Self.state().view()
        #expect(view.podCount == 17)
        #expect(view.serviceCount == 10)
        #expect(view.endpointSliceCount == 8)
        #expect(view.endpointCount == 1 + 2 + 5 + 5 + 2 + 1 + 0 + 1)
    }

    @Test func theNodeGivesPodSubnetsAndAddresses() throws {
        let view = try Self.state().view()
        #expect(view.podCIDRs.map(\.description) == ["10.224.1.0/24", "fd00:224:1::/64"])
        #expect(view.nodeAddresses == [try Self.ip("172.18.0.3"), try Self.ip("fc00:f853:ccd:e793::3")])
        var old = ClusterState()
        try old.loadNodes(json: Self.fixture("nodes-single-cidr"), path: "nodes.json")
        #expect(old.view().podCIDRs.map(\.description) == ["10.224.9.0/24"])
    }

    static let podsByIP: [(String, String?)] = [
        ("10.224.1.34", "shop/frontend-7c9d8b5f4-x2x7p"),
        // A Failed pod listed first still holds 10.224.1.56; the Running one wins.
        ("10.224.1.56", "shop/cart-5d6f7b8c9-k4m2n"),
        ("fd00:224:1::56", "shop/cart-5d6f7b8c9-k4m2n"),
        // Only the slices name these: pods on ctw-worker2 (no pods file lists them).
        ("10.224.2.41", "shop/cart-5d6f7b8c9-q8r3s"),
        ("fd00:224:2::41", "shop/cart-5d6f7b8c9-q8r3s"),
        ("10.224.2.42", "shop/cart-5d6f7b8c9-w2v9d"),
        ("10.224.2.77", "monitoring/syslog-0"),
        // Host-network pods name nobody; the kubernetes slice has no targetRef.
        ("172.18.0.2", nil),
        ("10.233.53.172", nil),
    ]

    @Test(arguments: podsByIP) func podsAreNamedByAddress(address: String, pod: String?) throws {
        let view = try Self.state().view()
        #expect(view.pod(for: try Self.ip(address))?.description == pod)
    }

    @Test func podsHeldWinOverSliceTargets() throws {
        var state = ClusterState()
        let address = try Self.ip("10.224.1.70")
        state.apply(
            .upsert(
                .endpointSlice(
                    EndpointSliceObject(
                        ref: Self.ref("shop/web-abcde"), serviceName: "web",
                        endpoints: [.init(address: address, pod: Self.ref("shop/web-old"))]))))
        #expect(state.view().pod(for: address) == Self.ref("shop/web-old"))
        state.apply(
            .upsert(.pod(PodObject(ref: Self.ref("shop/web-new"), phase: "Running", addresses: [address]))))
        #expect(state.view().pod(for: address) == Self.ref("shop/web-new"))
    }

    @Test func aReusedAddressGoesToTheRunningPodWhateverTheOrder() throws {
        let address = try Self.ip("10.224.1.80")
        let old = PodObject(
            ref: Self.ref("shop/job-1"), creationTimestamp: "2025-11-24T06:00:00Z", phase: "Succeeded",
            addresses: [address])
        let new = PodObject(
            ref: Self.ref("shop/api-2"), creationTimestamp: "2025-11-20T06:00:00Z", phase: "Running",
            addresses: [address])
        for order in [[old, new], [new, old]] {
            var state = ClusterState()
            for pod in order { state.apply(.upsert(.pod(pod))) }
            #expect(state.view().pod(for: address) == new.ref)
        }
        // The Running pod deleted: the finished one is the best answer left.
        var state = ClusterState()
        state.apply(.replaceAll(.pod, [.pod(old), .pod(new)]))
        state.apply(.delete(.pod(new)))
        #expect(state.view().pod(for: address) == old.ref)
    }

    static let matches: [(String, UInt16, TransportProtocol, String?, ServiceMatch.Kind?)] = [
        ("10.233.53.172", 8080, .tcp, "shop/cart", .clusterIP),
        ("fd00:233::172", 8080, .tcp, "shop/cart", .clusterIP),
        ("10.233.53.172", 8081, .tcp, nil, nil),
        ("10.233.53.172", 8080, .udp, nil, nil),
        ("10.233.0.10", 53, .udp, "kube-system/kube-dns", .clusterIP),
        ("10.233.0.10", 53, .tcp, "kube-system/kube-dns", .clusterIP),
        ("198.51.100.20", 8443, .tcp, "shop/legacy-gateway", .externalIP),
        ("172.18.255.200", 443, .tcp, "shop/storefront", .loadBalancerIP),
        ("10.233.31.7", 443, .tcp, "shop/storefront", .clusterIP),
        // NodePorts on the node's own addresses, both families.
        ("172.18.0.3", 30080, .tcp, "shop/frontend", .nodePort),
        ("fc00:f853:ccd:e793::3", 31443, .tcp, "shop/storefront", .nodePort),
        ("172.18.0.3", 30514, .udp, "monitoring/syslog", .nodePort),
        ("172.18.0.3", 30514, .tcp, nil, nil),
        // Another node's address is not this node's: its NodePorts are not DNAT'ed here.
        ("172.18.0.4", 30080, .tcp, nil, nil),
        // A NodePort on a Service address is not a Service port.
        ("10.233.12.40", 30080, .tcp, nil, nil),
    ]

    @Test(arguments: matches)
    func servicesAreMatchedByAddressPortAndProtocol(
        address: String, port: UInt16, transport: TransportProtocol, service: String?, kind: ServiceMatch.Kind?
    ) throws {
        let view = try Self.state().view()
        let match = view.service(destination: try Self.ip(address), port: port, transport: transport)
        #expect(match?.service.description == service)
        #expect(match?.kind == kind)
    }

    @Test func addedNodeAddressesServeNodePorts() throws {
        let bridge = try Self.ip("10.224.1.1")
        let view = try Self.state().view()
        #expect(view.service(destination: bridge, port: 30080, transport: .tcp) == nil)
        let match = view.addingNodeAddresses([bridge]).service(destination: bridge, port: 30080, transport: .tcp)
        #expect(match?.service == Self.ref("shop/frontend"))
        #expect(match?.port.port == 80)
    }

    @Test func serviceAddressesAreKnownWhateverThePort() throws {
        let view = try Self.state().view()
        for address in ["10.233.53.172", "fd00:233::172", "198.51.100.20", "172.18.255.200", "fd00:233::7:14"] {
            #expect(view.isServiceAddress(try Self.ip(address)), "\(address)")
        }
        // Headless and ExternalName Services have no address; pods and nodes are not Services.
        for address in ["10.224.1.56", "172.18.0.3", "10.233.99.99"] {
            #expect(!view.isServiceAddress(try Self.ip(address)), "\(address)")
        }
    }

    @Test func endpointsAreTheReadyOrServingOnes() throws {
        let view = try Self.state().view()
        let cart = try #require(view.endpoints(of: Self.ref("shop/cart")))
        #expect(
            cart.addresses.map(\.description) == [
                "10.224.1.56", "10.224.1.60", "10.224.2.41", "fd00:224:1::56", "fd00:224:1::60", "fd00:224:2::41",
            ])
        let terminating = try #require(cart.endpoints.first { $0.address == (try? Self.ip("10.224.1.60")) })
        #expect(terminating.terminating && terminating.serving && !terminating.ready)
        #expect(terminating.pod == Self.ref("shop/cart-5d6f7b8c9-z5c4t"))
        #expect(terminating.nodeName == "ctw-worker")

        #expect(view.isEndpoint(try Self.ip("10.224.2.41"), of: Self.ref("shop/cart")))
        #expect(view.isEndpoint(try Self.ip("10.224.1.60"), of: Self.ref("shop/cart")))
        // Not ready, or terminating and no longer serving: not an endpoint.
        #expect(!view.isEndpoint(try Self.ip("10.224.2.42"), of: Self.ref("shop/cart")))
        #expect(!view.isEndpoint(try Self.ip("10.224.1.61"), of: Self.ref("shop/cart")))
        // Another Service's endpoint.
        #expect(!view.isEndpoint(try Self.ip("10.224.1.34"), of: Self.ref("shop/cart")))
        #expect(view.isEndpoint(try Self.ip("10.224.1.34"), of: Self.ref("shop/frontend")))
        #expect(view.isEndpoint(try Self.ip("172.18.0.2"), of: Self.ref("default/kubernetes")))
    }

    @Test func noSlicesIsUnknownAndAnEmptySliceIsNoEndpoints() throws {
        let view = try Self.state().view()
        // storefront's slice says `"endpoints": null`: known to have none.
        #expect(view.endpoints(of: Self.ref("shop/storefront"))?.endpoints == [])
        // legacy-gateway has no selector and so no slice: unknown.
        #expect(view.endpoints(of: Self.ref("shop/legacy-gateway")) == nil)
        #expect(view.endpoints(of: Self.ref("shop/nothing")) == nil)
        #expect(!view.isEndpoint(try Self.ip("10.224.1.34"), of: Self.ref("shop/legacy-gateway")))
    }

    @Test func unsetConditionsFollowTheAPI() throws {
        var state = ClusterState()
        try state.loadEndpointSlices(
            json: Data(
                #"""
                {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                 "metadata": {"name": "web-x", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
                 "addressType": "IPv4",
                 "endpoints": [{"addresses": ["10.224.1.90"]}, {"addresses": ["10.224.1.91"], "conditions": {"ready": false}}]}
                """#.utf8), path: "slice.json")
        let view = state.view()
        #expect(view.endpoints(of: Self.ref("shop/web"))?.addresses.map(\.description) == ["10.224.1.90"])
    }

    @Test func aServiceLosingAnEndpoint() throws {
        var state = try Self.state()
        var slices = state.endpointSlices
        var slice = try #require(slices[Self.ref("shop/cart-7xk2p")])
        slice.endpoints.removeAll { $0.address == (try? Self.ip("10.224.2.41")) }
        slices[slice.ref] = slice
        let before = state.view()
        state.apply(.upsert(.endpointSlice(slice)))
        let after = state.view()
        // The earlier snapshot is unchanged.
        #expect(before.isEndpoint(try Self.ip("10.224.2.41"), of: Self.ref("shop/cart")))
        #expect(!after.isEndpoint(try Self.ip("10.224.2.41"), of: Self.ref("shop/cart")))
        // The pod is still named while its IPv6 address stays in the other slice.
        #expect(after.pod(for: try Self.ip("fd00:224:2::41")) == Self.ref("shop/cart-5d6f7b8c9-q8r3s"))
        state.apply(.delete(.endpointSlice(slice)))
        state.apply(.delete(.endpointSlice(try #require(state.endpointSlices[Self.ref("shop/cart-m4n8d")]))))
        #expect(state.view().endpoints(of: Self.ref("shop/cart")) == nil)
    }

    @Test func replaceAllDropsWhatTheRelistNoLongerHas() throws {
        var state = try Self.state()
        state.apply(.replaceAll(.service, []))
        let view = state.view()
        #expect(view.serviceCount == 0)
        #expect(view.podCount == 17)
        #expect(view.service(destination: try Self.ip("10.233.53.172"), port: 8080, transport: .tcp) == nil)
    }

    @Test func theAPIListAndKubectlsListHoldTheSameSlices() throws {
        var kubectl = ClusterState()
        try kubectl.loadEndpointSlices(json: Self.fixture("endpointslices"), path: "a")
        var api = ClusterState()
        try api.loadEndpointSlices(json: Self.fixture("endpointslicelist-api"), path: "b")
        #expect(kubectl.endpointSlices.count == 8)
        #expect(
            kubectl.endpointSlices.mapValues { $0.endpoints }
                == api.endpointSlices.mapValues { $0.endpoints })
    }

    @Test func fileErrorsNameTheFile() throws {
        var state = ClusterState()
        let error = thrownError(KubeDocumentError.self) {
            try state.loadEndpointSlices(json: Self.fixture("services"), path: "svc.json")
        }
        #expect(
            error?.description
                == #"endpointslices file "svc.json": expected kind List/EndpointSliceList/EndpointSlice, got a List of "Service""#
        )
        let empty = thrownError(KubeDocumentError.self) {
            try state.loadEndpointSlices(json: Data(" \n".utf8), path: "-")
        }
        #expect(
            empty?.description
                == "endpointslices on standard input: empty; expected the output of kubectl get endpointslices -A -o json"
        )
        let bad = thrownError(KubeDocumentError.self) {
            try state.loadServices(
                json: Data(#"{"kind": "List", "items": [{"kind": "Service", "metadata": {"namespace": "a"}}]}"#.utf8),
                path: "s.json")
        }
        #expect(bad?.reason == .malformed(path: "items[0].metadata", detail: #"missing "name""#))
    }
}
