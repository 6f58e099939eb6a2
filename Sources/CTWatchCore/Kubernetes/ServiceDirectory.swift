import Conntrack
import Foundation

/// ServiceDirectory maps Service cluster IPs to Services, read from
/// `kubectl get svc -A -o json`.
///
/// Every address in `spec.clusterIP` and `spec.clusterIPs` is mapped, so a
/// dual-stack Service is found by both families. Headless Services
/// (`None`) and ExternalName Services have no cluster IP and are left out.
/// Node ports and load-balancer addresses are not cluster IPs and are not
/// mapped either.
public struct ServiceDirectory: Sendable {
    /// One port of a Service; `transport` is upper case as in the API (`TCP`).
    private struct Port: Hashable, Sendable {
        let port: UInt16
        let transport: String
    }

    private struct Entry: Sendable {
        let ref: KubeObjectRef
        let ports: [Port]
    }

    private let services: [IPAddress: [Entry]]

    /// count is the number of Services with at least one cluster IP.
    public let count: Int

    /// addressCount is the number of mapped cluster IPs.
    public var addressCount: Int { services.count }

    /// An empty directory, for when no services file is given.
    public init() {
        services = [:]
        count = 0
    }

    /// init(json:) reads a `List` or `ServiceList` of Services, or a single
    /// `Service`. Objects of other kinds inside a List are ignored.
    public init(json: Data) throws(KubeDocumentError) {
        let items = try KubeDocument.items(ServiceItem.self, from: json, subject: "services")
        var services: [IPAddress: [Entry]] = [:]
        var refs = Set<KubeObjectRef>()
        for item in items {
            guard let ref = item.metadata?.ref, let spec = item.spec, spec.type != "ExternalName" else { continue }
            let ports = (spec.ports ?? []).compactMap { port -> Port? in
                guard let number = port.port, let value = UInt16(exactly: number), value != 0 else { return nil }
                // The API defaults an omitted protocol to TCP.
                return Port(port: value, transport: (port.protocol ?? "TCP").uppercased())
            }
            let entry = Entry(ref: ref, ports: ports)
            for text in spec.addresses {
                guard let address = IPAddress(text) else { continue }
                // The same Service listed twice (concatenated documents) is one claim.
                if services[address, default: []].contains(where: { $0.ref == ref }) { continue }
                services[address, default: []].append(entry)
                refs.insert(ref)
            }
        }
        self.services = services
        count = refs.count
    }

    /// init(json:path:) reads `json` as `init(json:)` does; its errors name
    /// the file it came from, `path` (`-` for standard input).
    public init(json: Data, path: String) throws(KubeDocumentError) {
        do throws(KubeDocumentError) {
            try self.init(json: json)
        } catch {
            throw error.from(path: path)
        }
    }

    /// service returns the Service whose cluster IP is `ip`.
    ///
    /// When only one Service has the address it is returned whatever the
    /// port. A cluster IP belongs to one Service in a healthy cluster; if
    /// several claim it (documents from two clusters, a restore), the one
    /// exposing `port` with `transport` (`tcp`, `UDP`, ...; any case; nil
    /// matches any) is returned, and nil when that does not single one out.
    public func service(for ip: IPAddress, port: UInt16?, transport: String?) -> KubeObjectRef? {
        guard let entries = services[ip], let first = entries.first else { return nil }
        if entries.count == 1 { return first.ref }
        guard let port else { return nil }
        var match: KubeObjectRef?
        for entry in entries
        where entry.ports.contains(where: { candidate in
            candidate.port == port
                && (transport.map { ServiceDirectory.sameTransport(candidate.transport, $0) } ?? true)
        }) {
            if match != nil { return nil }
            match = entry.ref
        }
        return match
    }

    /// ASCII case-insensitive comparison, without allocating an uppercased copy.
    private static func sameTransport(_ upper: String, _ other: String) -> Bool {
        upper.utf8.elementsEqual(other.utf8.lazy.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 })
    }
}

/// ServiceItem is the part of a Service that `ServiceDirectory` reads.
struct ServiceItem: KubeItem {
    static let kind = "Service"
    static let listKind = "ServiceList"

    var metadata: KubeMetadata?
    var spec: Spec?

    struct Spec: Decodable {
        var type: String?
        var clusterIP: String?
        var clusterIPs: [String]?
        var ports: [ServicePort]?

        /// `clusterIP` and every `clusterIPs` entry, without `None` and empties.
        var addresses: [String] {
            ([clusterIP].compactMap { $0 } + (clusterIPs ?? [])).filter { !$0.isEmpty && $0 != "None" }
        }
    }

    struct ServicePort: Decodable {
        var port: Int?
        var `protocol`: String?
    }
}
