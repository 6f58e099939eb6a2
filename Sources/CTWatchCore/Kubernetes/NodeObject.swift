import Conntrack

/// NodeObject is the part of a Node the cluster view keeps: its pod subnets
/// and its addresses, on which every NodePort is served.
public struct NodeObject: ClusterResource, KubeItem, Hashable {
    static let kind = "Node"
    static let listKind = "NodeList"

    public var name: String
    public var resourceVersion: String?
    /// `spec.podCIDRs`, else `spec.podCIDR`.
    public var podCIDRs: [CIDR]
    /// The IP entries of `status.addresses` (a `Hostname` entry is a name and is left out).
    public var addresses: [Address]

    /// Address is one entry of `status.addresses`: `InternalIP`, `ExternalIP`, ...
    public struct Address: Sendable, Hashable {
        public var type: String
        public var address: IPAddress

        public init(type: String, address: IPAddress) {
            self.type = type
            self.address = address
        }
    }

    public init(
        name: String, resourceVersion: String? = nil, podCIDRs: [CIDR] = [],
        addresses: [Address] = []
    ) {
        self.name = name
        self.resourceVersion = resourceVersion
        self.podCIDRs = podCIDRs
        self.addresses = addresses
    }

    private enum Key: String, CodingKey { case metadata, spec, status }

    private struct Spec: Decodable {
        var podCIDR: String?
        var podCIDRs: [String]?
    }

    private struct Status: Decodable {
        var addresses: [RawAddress]?
    }

    private struct RawAddress: Decodable {
        var type: String?
        var address: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let metadata = try container.decode(ResourceMetadata.self, forKey: .metadata)
        let spec = try container.decodeIfPresent(Spec.self, forKey: .spec)
        let status = try container.decodeIfPresent(Status.self, forKey: .status)
        let texts = spec?.podCIDRs.flatMap { $0.isEmpty ? nil : $0 } ?? [spec?.podCIDR].compactMap { $0 }
        var cidrs: [CIDR] = []
        for text in texts {
            if let cidr = try? CIDR(parsing: text), !cidrs.contains(cidr) { cidrs.append(cidr) }
        }
        let addresses = (status?.addresses ?? []).compactMap { raw -> Address? in
            guard let text = raw.address, let address = IPAddress(text) else { return nil }
            return Address(type: raw.type ?? "", address: address)
        }
        self.init(
            name: metadata.name, resourceVersion: metadata.resourceVersion, podCIDRs: cidrs,
            addresses: addresses)
    }
}
