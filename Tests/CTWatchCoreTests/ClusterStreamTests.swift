import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// ClusterStreamTests feeds list bodies and watch streams in the shapes the
/// API server sends (Fixtures/kubernetes/endpointslicelist-api.json is
/// `kubectl get --raw /apis/discovery.k8s.io/v1/endpointslices`) in pieces
/// of every size.
@Suite("Cluster list and watch streams")
struct ClusterStreamTests {
    static func apiList() throws -> [UInt8] {
        Array(try ClusterStateTests.fixture("endpointslicelist-api"))
    }

    /// Decodes `body` fed in the given chunk sizes (cycled); the items and what `finish` says.
    static func decode<Item: Decodable>(
        _ type: Item.Type, _ body: [UInt8], chunks: [Int]
    ) throws -> (items: [Item], resourceVersion: String?, kind: String?) {
        var decoder = ListStreamDecoder<Item>()
        var items: [Item] = []
        var offset = 0
        var turn = 0
        while offset < body.count {
            let size = max(1, chunks[turn % chunks.count])
            turn += 1
            let end = min(body.count, offset + size)
            items += try decoder.feed(body[offset..<end])
            offset = end
        }
        let summary = try decoder.finish()
        return (items, summary.resourceVersion, summary.kind)
    }

    @Test func oneChunkReadsEverySlice() throws {
        let result = try Self.decode(EndpointSliceObject.self, Self.apiList(), chunks: [Int.max])
        #expect(result.items.count == 8)
        #expect(result.resourceVersion == "48213")
        #expect(result.kind == "EndpointSliceList")
        #expect(result.items.map(\.ref.name).contains("cart-7xk2p"))
        let cart = try #require(result.items.first { $0.ref.name == "cart-m4n8d" })
        #expect(cart.addressType == "IPv6")
        #expect(cart.resourceVersion == "48191")
        #expect(cart.ports == [EndpointSliceObject.Port(name: "http", port: 8080, transport: .tcp)])
    }

    @Test func streamingAndTheFileReaderAgree() throws {
        let streamed = try Self.decode(EndpointSliceObject.self, Self.apiList(), chunks: [64])
        var state = ClusterState()
        try state.loadEndpointSlices(json: ClusterStateTests.fixture("endpointslicelist-api"), path: "api.json")
        var fed = ClusterState()
        fed.apply(.replaceAll(.endpointSlice, streamed.items.map(ClusterObject.endpointSlice)))
        #expect(fed.endpointSlices == state.endpointSlices)
        // kubectl's List (with a kind in every entry) streams too.
        let services = try Self.decode(
            ServiceObject.self, Array(try ClusterStateTests.fixture("services")), chunks: [100])
        #expect(services.items.count == 10)
        #expect(services.kind == "List")
        #expect(services.resourceVersion == "")
    }

    @Test func byteByByteAndRandomChunksGiveTheSameItems() throws {
        let body = try Self.apiList()
        let whole = try Self.decode(EndpointSliceObject.self, body, chunks: [Int.max])
        let single = try Self.decode(EndpointSliceObject.self, body, chunks: [1])
        #expect(single.items == whole.items)
        #expect(single.resourceVersion == whole.resourceVersion)
        var generator = SplitMix(seed: 9)
        for _ in 0..<20 {
            let sizes = (0..<50).map { _ in Int(generator.next() % 700) + 1 }
            let chunked = try Self.decode(EndpointSliceObject.self, body, chunks: sizes)
            #expect(chunked.items == whole.items)
            #expect(chunked.resourceVersion == "48213")
        }
    }

    @Test func theResourceVersionMayComeAfterTheItems() throws {
        let body = Array(
            #"""
            {"kind":"ServiceList","apiVersion":"v1","items":[
              {"metadata":{"name":"a","namespace":"x","resourceVersion":"7"},"spec":{"clusterIP":"10.96.0.5","ports":[{"port":80}]}},
              {"metadata":{"name":"b","namespace":"x","resourceVersion":"8"},"spec":{"clusterIP":"None"}}
            ],"metadata":{"continue":"","resourceVersion":"9001"}}
            """#.utf8)
        for chunks in [[Int.max], [1], [3, 17, 5]] {
            let result = try Self.decode(ServiceObject.self, body, chunks: chunks)
            #expect(result.items.map(\.ref.name) == ["a", "b"])
            #expect(result.items.first?.ports == [ServiceObject.ServicePort(port: 80)])
            #expect(result.items.last?.clusterIPs == [])
            #expect(result.resourceVersion == "9001")
        }
    }

    @Test func itemsComeAsSoonAsTheyAreComplete() throws {
        let body = Array(
            #"{"metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"n1"}},{"metadata":{"name":"n2"}}]}"#
                .utf8)
        var decoder = ListStreamDecoder<NodeObject>()
        let cut = body.count - 25  // inside the second item
        let first = try decoder.feed(body[..<cut])
        #expect(first.map(\.name) == ["n1"])
        #expect(decoder.resourceVersion == "5")
        #expect(try decoder.feed(body[cut...]).map(\.name) == ["n2"])
        #expect(try decoder.finish().resourceVersion == "5")
    }

    @Test func emptyAndNullItems() throws {
        for text in [#"{"kind":"PodList","items":[],"metadata":{"resourceVersion":"1"}}"#, #"{"items":null}"#] {
            let result = try Self.decode(PodObject.self, Array(text.utf8), chunks: [2])
            #expect(result.items.isEmpty)
        }
    }

    static let malformed: [String] = [
        #"{"items":[{"metadata":{"name":"a"}},,]}"#,
        #"{"items":[{"metadata":{"name":"a"}}] "kind":"x"}"#,
        #"{"items":[{"metadata":{"name":"a"}]}"#,
        #"{"items":[tru]}"#,
        #"[{"metadata":{"name":"a"}}]"#,
        #"{"items":[]} {}"#,
        "{\"items\":[\"a\nb\"]}",
        #"error: You must be logged in to the server (Unauthorized)"#,
    ]

    @Test(arguments: malformed) func malformedBodiesFail(text: String) throws {
        for chunks in [[Int.max], [1]] {
            let error = thrownError(KubeStreamError.self) {
                _ = try Self.decode(PodObject.self, Array(text.utf8), chunks: chunks)
            }
            guard case .malformed? = error?.reason else {
                Issue.record("expected malformed for \(text), got \(String(describing: error))")
                return
            }
        }
    }

    @Test func aTruncatedBodyFailsAtFinish() throws {
        let body = try Self.apiList()
        var decoder = ListStreamDecoder<EndpointSliceObject>()
        _ = try decoder.feed(body.prefix(body.count / 2))
        let error = thrownError(KubeStreamError.self) { _ = try decoder.finish() }
        #expect(error?.reason == .truncated(offset: body.count / 2))
    }

    @Test func anItemOfTheWrongShapeNamesItsPlace() throws {
        let body = Array(#"{"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"},"spec":{"ports":5}}]}"#.utf8)
        let error = thrownError(KubeStreamError.self) { _ = try Self.decode(ServiceObject.self, body, chunks: [4]) }
        #expect(error?.reason == .undecodableItem(index: 1, path: "spec.ports", detail: "a value of the wrong type"))
        #expect(error?.description == "Kubernetes API list response: items[1].spec.ports: a value of the wrong type")
    }

    @Test func memoryIsBoundedByTheLargestItem() throws {
        // An item larger than the limit fails while it is still arriving.
        var decoder = ListStreamDecoder<PodObject>(maximumItemSize: 1000)
        _ = try decoder.feed(Array(#"{"items":[{"metadata":{"name":"a"}},"#.utf8))
        let big =
            Array(#"{"metadata":{"name":"b","annotations":{"x":""#.utf8)
            + Array(repeating: UInt8(ascii: "y"), count: 2000)
        let error = thrownError(KubeStreamError.self) { _ = try decoder.feed(big) }
        #expect(error?.reason == .itemTooLarge(limit: 1000))
        // Many items under the limit are fine: what is held is one at a time.
        var many = ListStreamDecoder<PodObject>(maximumItemSize: 1000)
        var count = 0
        count += try many.feed(Array(#"{"items":["#.utf8)).count
        for index in 0..<5000 {
            count += try many.feed(Array(#"{"metadata":{"name":"p\#(index)","namespace":"x"}},"#.utf8)).count
        }
        count += try many.feed(Array(#"{"metadata":{"name":"last"}}]}"#.utf8)).count
        _ = try many.finish()
        #expect(count == 5001)
    }

    // MARK: watch

    @Test func watchLinesAreSplitAcrossChunks() throws {
        let stream = Array(
            (#"{"type":"ADDED","object":{"metadata":{"name":"a","namespace":"x","resourceVersion":"10"}}}"# + "\n"
                + #"{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}}"#
                + "\r\n\n"
                + #"{"type":"DELETED","object":{"metadata":{"name":"a","namespace":"x","resourceVersion":"13"}}}"#)
                .utf8)
        for size in [1, 2, 7, stream.count] {
            var splitter = WatchLineSplitter()
            var lines: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                lines += try splitter.feed(stream[offset..<min(stream.count, offset + size)])
                offset += size
            }
            if let last = splitter.finish() { lines.append(last) }
            let decoder = WatchEventDecoder<PodObject>()
            let events = try lines.map { try decoder.decode($0) }
            #expect(events.count == 3)
            #expect(events.map(\.resourceVersion) == ["10", "12", "13"])
            guard case .deleted(let pod) = events[2] else {
                Issue.record("expected DELETED")
                return
            }
            #expect(pod.ref == KubeObjectRef(namespace: "x", name: "a"))
        }
    }

    @Test func watchEventsOfEachType() throws {
        let decoder = WatchEventDecoder<ServiceObject>()
        let modified = try decoder.decode(
            Array(
                #"{"type":"MODIFIED","object":{"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"shop","resourceVersion":"52"},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.1.2"],"ports":[{"port":443,"nodePort":31000}]},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.7"},{"hostname":"lb.example.com"}]}}}}"#
                    .utf8))
        guard case .modified(let service) = modified else {
            Issue.record("expected MODIFIED, got \(modified)")
            return
        }
        #expect(service.loadBalancerIPs == [try ClusterStateTests.ip("192.0.2.7")])
        #expect(service.ports == [.init(port: 443, transport: .tcp, nodePort: 31000)])
        let gone = try decoder.decode(
            Array(
                #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 100 (2000)","reason":"Expired","code":410}}"#
                    .utf8))
        guard case .error(let status) = gone else {
            Issue.record("expected ERROR")
            return
        }
        #expect(status == KubeStatus(code: 410, reason: "Expired", message: "too old resource version: 100 (2000)"))
        #expect(status.isGone)
        #expect(gone.resourceVersion == nil)
    }

    @Test func badWatchLinesFail() throws {
        let decoder = WatchEventDecoder<PodObject>()
        for line in [
            #"{"type":"RENAMED","object":{}}"#, #"{"object":{}}"#, "not json",
            #"{"type":"ADDED","object":{"metadata":{}}}"#,
        ] {
            #expect(throws: KubeStreamError.self) { _ = try decoder.decode(Array(line.utf8)) }
        }
        var splitter = WatchLineSplitter(maximumLineLength: 10)
        #expect(throws: KubeStreamError.self) { _ = try splitter.feed(Array("0123456789abc".utf8)) }
    }
}

/// SplitMix is a small seeded generator, so a failing chunking is reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
