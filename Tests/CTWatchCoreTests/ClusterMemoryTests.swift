import CTWatchCore
import Conntrack
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// ClusterMemoryTests builds the large cluster of issue 9 (10k Services,
/// 100k endpoints, 200 pods) in a ClusterState and reports the heap it
/// holds per Service with its endpoints, by glibc's count of heap bytes in
/// use (`malloc_info`, looked up with dlsym: malloc.h is not in Swift's
/// Glibc module). The figure is reported, not asserted: other suites run
/// in parallel and allocate on the same heap, so it is only exact when
/// this suite runs alone (`--filter ClusterMemoryTests`).
@Suite("Cluster state memory", .serialized)
struct ClusterMemoryTests {
    /// Bytes allocated from the heap now: what the arenas took from the
    /// system, less their free chunks, plus mmap'ed blocks. 0 when unknown.
    static func heapInUse() -> Int {
        #if canImport(Glibc)
            typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
            guard let symbol = dlsym(nil, "malloc_info") else { return 0 }
            var text: UnsafeMutablePointer<CChar>?
            var size = 0
            guard let stream = open_memstream(&text, &size) else { return 0 }
            _ = unsafeBitCast(symbol, to: MallocInfo.self)(0, stream)
            fclose(stream)
            guard let text else { return 0 }
            let xml = String(cString: text)
            free(text)
            func last(_ prefix: String) -> Int {
                guard let range = xml.range(of: prefix, options: .backwards) else { return 0 }
                let rest = xml[range.upperBound...]
                guard let size = rest.range(of: "size=\"") else { return 0 }
                return Int(rest[size.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            return last("<system type=\"current\"") - last("<total type=\"fast\"") - last("<total type=\"rest\"")
                + last("<total type=\"mmap\"")
        #else
            return 0
        #endif
    }

    /// A cluster's objects with names and values shaped like a real one's:
    /// each String made afresh, as decoding makes them.
    static func changes(services: Int, endpointsPerSlice: Int, endpoints: Int) -> [ClusterChange] {
        var serviceObjects: [ClusterObject] = []
        var sliceObjects: [ClusterObject] = []
        serviceObjects.reserveCapacity(services)
        let slices = endpoints / endpointsPerSlice
        for index in 0..<services {
            let namespace = "team-\(String(index % 40, radix: 10))-apps"
            let ref = KubeObjectRef(namespace: namespace, name: "service-\(index)-backend")
            serviceObjects.append(
                .service(
                    ServiceObject(
                        ref: ref, resourceVersion: "\(10_000_000 + index)",
                        clusterIPs: [IPAddress(ipv4: 0x0A60_0000 + UInt32(index))],
                        ports: [.init(name: "http", port: 80), .init(name: "grpc", port: 9090)])))
            guard index < slices else { continue }
            var list: [EndpointSliceObject.Endpoint] = []
            list.reserveCapacity(endpointsPerSlice)
            for number in 0..<endpointsPerSlice {
                let address = IPAddress(ipv4: 0x0A80_0000 + UInt32(index * endpointsPerSlice + number))
                list.append(
                    .init(
                        address: address, ready: number % 10 != 0,
                        pod: KubeObjectRef(
                            namespace: "team-\(String(index % 40, radix: 10))-apps",
                            name: "service-\(index)-backend-5d6f7b8c9-\(String(number, radix: 36))x\(index % 7)"),
                        nodeName: "ip-10-0-\(number % 20)-\(index % 250).ec2.internal"))
            }
            sliceObjects.append(
                .endpointSlice(
                    EndpointSliceObject(
                        ref: KubeObjectRef(namespace: namespace, name: "service-\(index)-backend-abcde"),
                        resourceVersion: "\(20_000_000 + index)", serviceName: "service-\(index)-backend",
                        addressType: "IPv4", endpoints: list,
                        ports: [.init(name: "http", port: 8080), .init(name: "grpc", port: 9090)])))
        }
        let pods: [ClusterObject] = (0..<200).map { index in
            .pod(
                PodObject(
                    ref: KubeObjectRef(namespace: "team-\(index % 40)-apps", name: "local-\(index)-7c9d8b5f4-x2x7p"),
                    resourceVersion: "\(index)", creationTimestamp: "2025-11-25T17:31:40Z", nodeName: "ip-10-0-1-1",
                    phase: "Running", addresses: [IPAddress(ipv4: 0x0AE0_0100 + UInt32(index))]))
        }
        return [
            .replaceAll(.service, serviceObjects), .replaceAll(.endpointSlice, sliceObjects), .replaceAll(.pod, pods),
        ]
    }

    @Test(arguments: [100, 10])
    func heldBytesPerService(endpointsPerSlice: Int) throws {
        let services = 10_000
        let before = Self.heapInUse()
        var state = ClusterState()
        // The objects given are dropped after applying: only what the state keeps is counted.
        do {
            for change in Self.changes(services: services, endpointsPerSlice: endpointsPerSlice, endpoints: 100_000) {
                state.apply(change)
            }
        }
        let held = Self.heapInUse() - before
        let clock = ContinuousClock()
        let start = clock.now
        let view = state.view()
        let viewTime = clock.now - start
        let withView = Self.heapInUse() - before
        #expect(view.serviceCount == services)
        #expect(view.endpointCount == 100_000)
        #expect(view.podCount == 200)
        #expect(
            view.isEndpoint(
                IPAddress(ipv4: 0x0A80_0001), of: KubeObjectRef(namespace: "team-0-apps", name: "service-0-backend")))
        print(
            "ClusterState, 10k Services, 100k endpoints in slices of \(endpointsPerSlice), 200 pods: "
                + "\(held / services) bytes per Service held by the state, \(withView / services) with a view "
                + "(taking the view: \(viewTime), a debug build's time, for information only)")
        withExtendedLifetime((state, view)) {}
    }
}
