/// InterfaceAddress is one address of an interface with its prefix length.
public struct InterfaceAddress: Hashable, Sendable {
    public var address: IPAddress
    public var prefixLength: Int
    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }
    /// The subnet the address lives in (`10.224.1.1/24` gives `10.224.1.0/24`).
    public var subnet: CIDR { CIDR(address: address, prefixLength: prefixLength) }
}

/// NetworkInterface is a link of the inspected namespace (RTM_NEWLINK) and its addresses.
public struct NetworkInterface: Hashable, Sendable {
    public var index: Int
    public var name: String
    /// IFLA_INFO_KIND: `bridge`, `veth`, `vxlan`, ... empty for plain devices.
    public var kind: String
    public var addresses: [InterfaceAddress]

    public init(index: Int, name: String, kind: String, addresses: [InterfaceAddress]) {
        self.index = index
        self.name = name
        self.kind = kind
        self.addresses = addresses
    }

    public var isBridge: Bool { kind == "bridge" }
}
