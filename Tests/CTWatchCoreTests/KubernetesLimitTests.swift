import CTWatchCore
import Conntrack
import Foundation
import Testing

/// The pods loader (`ClusterState.loadPods(json:path:)`) on large documents: a large list is decoded an entry at a
/// time with the same result. How much is read from a file is the front
/// end's (CTWatchCLITests' DocumentFileTests).
@Suite("Kubernetes document limits")
struct KubernetesLimitTests {
    /// A `kubectl get pods -A -o json` document of `count` pods, keys in
    /// kubectl's (alphabetical) order, so `items` comes before `kind`, with
    /// the bulk a real pod carries (managedFields, containers, conditions).
    /// Every 10th pod is host-network; every 7th is Succeeded and shares the
    /// IP of the pod before it, which must keep it.
    static func podList(count: Int) -> String {
        var items: [String] = []
        for index in 0..<count {
            let ip = "10.224.\(index / 250).\(index % 250 + 1)"
            let sharesPrevious = index % 7 == 6
            let address = sharesPrevious ? "10.224.\((index - 1) / 250).\((index - 1) % 250 + 1)" : ip
            items.append(
                """
                {"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{"note":"\(String(repeating: "x", count: 300))"},\
                "creationTimestamp":"2025-11-25T17:31:40Z","labels":{"app":"app\(index)","tier":"back\\"end"},\
                "managedFields":[{"fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{}}}},\
                "manager":"kubelet","operation":"Update","time":"2025-11-25T17:31:40Z"}],\
                "name":"app\(index)-5d6f7b8c9-k4m2n","namespace":"ns\(index % 5)","resourceVersion":"\(1000 + index)",\
                "uid":"\(UUID().uuidString)"},\
                "spec":{"containers":[{"image":"registry.example/app:1.2.3","name":"c","ports":[{"containerPort":8080,"protocol":"TCP"}],\
                "resources":{"limits":{"cpu":0.5,"memory":"256Mi"}}}],"hostNetwork":\(index % 10 == 9),"nodeName":"node1",\
                "priority":-1,"terminationGracePeriodSeconds":3e1},\
                "status":{"conditions":[{"lastTransitionTime":"2025-11-25T17:31:40Z","status":"True","type":"Ready"}],\
                "phase":"\(sharesPrevious ? "Succeeded" : "Running")","podIP":"\(address)","podIPs":[{"ip":"\(address)"}],\
                "startTime":null}}
                """)
        }
        return #"{"apiVersion":"v1","items":["# + items.joined(separator: ",\n")
            + #"],"kind":"List","metadata":{"resourceVersion":""}}"#
    }

    /// The view of the pods in `json`, loaded as `--pods pods.json` loads them.
    static func pods(_ json: Data, path: String = "pods.json") throws(KubeDocumentError) -> ClusterView {
        var state = ClusterState()
        try state.loadPods(json: json, path: path)
        return state.view()
    }

    @Test("A large pod list in kubectl's key order decodes")
    func largeList() throws {
        let count = 3000
        let document = Data(Self.podList(count: count).utf8)
        #expect(document.count > 2_000_000)

        let pods = try Self.pods(document)
        #expect(pods.podCount == count)
        for index in [0, 1, 5, 6, 9, 1234, count - 1] {
            let ip = try #require(IPAddress("10.224.\(index / 250).\(index % 250 + 1)"))
            let expected: String? =
                index % 10 == 9 || index % 7 == 6 ? nil : "ns\(index % 5)/app\(index)-5d6f7b8c9-k4m2n"
            #expect(pods.pod(for: ip)?.description == expected, "pod \(index)")
        }
        // The Succeeded pod 6 shares pod 5's IP: the Running one keeps it.
        #expect(pods.pod(for: try #require(IPAddress("10.224.0.6")))?.description == "ns0/app5-5d6f7b8c9-k4m2n")

        // A Succeeded pod owns its address only when the pod before it is host-network.
        var owners = Set<KubeObjectRef>()
        for index in 0..<count {
            if let pod = pods.pod(for: try #require(IPAddress("10.224.\(index / 250).\(index % 250 + 1)"))) {
                owners.insert(pod)
            }
        }
        let expectedOwners = (0..<count).filter { $0 % 10 != 9 && ($0 % 7 != 6 || ($0 - 1) % 10 == 9) }.count
        #expect(owners.count == expectedOwners)
    }

    @Test(
        "A list whose kind comes last, with other kinds and escapes, reads as before",
        arguments: [
            (
                #"{"items":[{"kind":"Service","metadata":{"name":"s"}},{"kind":"Pod","metadata":{"name":"p","namespace":"n\u0073"},"status":{"podIP":"10.0.0.1"}}],"kind":"List"}"#,
                "ns/p"
            ),
            (
                #"{"items":[{"metadata":{"name":"p"},"status":{"podIPs":[{"ip":"10.0.0.1"}]}}],"kind":"PodList"}"#,
                "default/p"
            ),
            (
                #"{"k\u0069nd":"List","items":[{"kind":"Pod","metadata":{"name":"p"},"status":{"podIP":"10.0.0.1"}}]}"#,
                "default/p"
            ),
            (
                #" { "kind" : "List" , "items" : [ { "kind" : "Pod" , "metadata" : { "name" : "p" } , "status" : { "podIP" : "10.0.0.1" } } ] } "#,
                "default/p"
            ),
        ])
    func listShapes(json: String, expected: String) throws {
        let pods = try Self.pods(Data(json.utf8))
        #expect(pods.pod(for: try #require(IPAddress("10.0.0.1")))?.description == expected)
    }

    @Test("A bad entry deep in a large list is reported at its place in the document")
    func badEntryInList() throws {
        var document = Self.podList(count: 50)
        document = document.replacingOccurrences(of: #""name":"app42-5d6f7b8c9-k4m2n""#, with: #""name":42"#)
        do {
            _ = try Self.pods(Data(document.utf8), path: "pods.json")
            Issue.record("a name that is a number was accepted")
        } catch {
            #expect(error.reason == .malformed(path: "items[42].metadata.name", detail: "expected a string"))
            #expect(error.path == "pods.json")
        }
    }
}
