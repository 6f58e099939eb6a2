import Conntrack

/// EndpointTable holds the endpoints of one EndpointSlice in a few flat
/// arrays, so that a slice of 100 endpoints costs a handful of allocations
/// rather than several per endpoint: on a node that watches every slice of
/// a large cluster, the endpoints are most of what is held.
///
/// - one fixed-size entry per endpoint: its first address, its conditions
///   and where its pod name ends;
/// - the pod names back to back in one string;
/// - the node names once per slice (an endpoint keeps a 16-bit position);
/// - what is rare kept aside: further addresses, and a pod namespace other
///   than the slice's.
struct EndpointTable: Sendable, Hashable {
    private struct Entry: Hashable {
        var address: IPAddress
        /// The UTF-8 offset in `names` where this endpoint's pod name ends
        /// (it starts where the previous one ends).
        var nameEnd: UInt32
        /// Position in `nodes`, or `noNode`.
        var node: UInt16
        var flags: Flags
    }

    struct Flags: OptionSet, Hashable {
        let rawValue: UInt8
        static let ready = Flags(rawValue: 1)
        static let serving = Flags(rawValue: 2)
        static let terminating = Flags(rawValue: 4)
        /// `targetRef` names a pod.
        static let pod = Flags(rawValue: 8)
    }

    /// What few endpoints have.
    private struct Rare: Hashable {
        var additionalAddresses: [IPAddress] = []
        /// The pod's namespace when it is not the slice's.
        var podNamespace: String?
    }

    private static let noNode = UInt16.max
    private var entries: [Entry] = []
    private var names = ""
    private var nodes: [String] = []
    private var rare: [Int: Rare] = [:]

    init() {}

    /// A table of `endpoints`, whose pods are named in `namespace` unless they say otherwise.
    init(_ endpoints: [EndpointSliceObject.Endpoint], namespace: String) {
        var builder = Builder(namespace: namespace, capacity: endpoints.count)
        for endpoint in endpoints { builder.append(endpoint) }
        self = builder.finish()
    }

    var count: Int { entries.count }

    func address(at index: Int) -> IPAddress { entries[index].address }

    func flags(at index: Int) -> Flags { entries[index].flags }

    func additionalAddresses(at index: Int) -> [IPAddress] { rare[index]?.additionalAddresses ?? [] }

    /// True when endpoint `index` has `candidate` among its addresses.
    func has(_ candidate: IPAddress, at index: Int) -> Bool {
        entries[index].address == candidate || (rare[index]?.additionalAddresses.contains(candidate) ?? false)
    }

    /// The pod of endpoint `index`, whose namespace is `namespace` unless it said another.
    func pod(at index: Int, namespace: String) -> KubeObjectRef? {
        guard entries[index].flags.contains(.pod) else { return nil }
        let start = index == 0 ? 0 : Int(entries[index - 1].nameEnd)
        let utf8 = names.utf8
        let lower = utf8.index(utf8.startIndex, offsetBy: start)
        let upper = utf8.index(utf8.startIndex, offsetBy: Int(entries[index].nameEnd))
        // Sliced on the UTF-8 view: exact offsets, never rounded to a Character boundary.
        let name = String(Substring(utf8[lower..<upper]))
        return KubeObjectRef(namespace: rare[index]?.podNamespace ?? namespace, name: name)
    }

    func nodeName(at index: Int) -> String? {
        let node = entries[index].node
        return node == Self.noNode ? nil : nodes[Int(node)]
    }

    /// Endpoint `index` as a value.
    func endpoint(at index: Int, namespace: String) -> EndpointSliceObject.Endpoint {
        let flags = entries[index].flags
        return EndpointSliceObject.Endpoint(
            address: entries[index].address, additionalAddresses: additionalAddresses(at: index),
            ready: flags.contains(.ready), serving: flags.contains(.serving),
            terminating: flags.contains(.terminating), pod: pod(at: index, namespace: namespace),
            nodeName: nodeName(at: index))
    }

    /// Passes the node names and foreign pod namespaces through `intern`
    /// (which returns the one copy kept of a string).
    mutating func intern(_ intern: (String) -> String) {
        for index in nodes.indices { nodes[index] = intern(nodes[index]) }
        for key in rare.keys {
            if let namespace = rare[key]?.podNamespace { rare[key]?.podNamespace = intern(namespace) }
        }
    }

    /// Builder appends endpoints one at a time, as they are decoded.
    struct Builder {
        private var table = EndpointTable()
        private var nodeIndex: [String: UInt16] = [:]
        private let namespace: String

        init(namespace: String, capacity: Int = 0) {
            self.namespace = namespace
            table.entries.reserveCapacity(capacity)
        }

        mutating func append(_ endpoint: EndpointSliceObject.Endpoint) {
            var flags: Flags = []
            if endpoint.ready { flags.insert(.ready) }
            if endpoint.serving { flags.insert(.serving) }
            if endpoint.terminating { flags.insert(.terminating) }
            var rare = Rare(additionalAddresses: endpoint.additionalAddresses)
            if let pod = endpoint.pod {
                flags.insert(.pod)
                table.names += pod.name
                if pod.namespace != namespace { rare.podNamespace = pod.namespace }
            }
            var node = EndpointTable.noNode
            if let name = endpoint.nodeName {
                if let known = nodeIndex[name] {
                    node = known
                } else if table.nodes.count < Int(EndpointTable.noNode) {
                    node = UInt16(table.nodes.count)
                    nodeIndex[name] = node
                    table.nodes.append(name)
                }
            }
            if rare != Rare() { table.rare[table.entries.count] = rare }
            table.entries.append(
                Entry(address: endpoint.address, nameEnd: UInt32(table.names.utf8.count), node: node, flags: flags))
        }

        /// The table, its arrays cut to their size (they grew by doubling).
        consuming func finish() -> EndpointTable {
            var table = self.table
            table.entries = Self.fitted(table.entries)
            table.nodes = Self.fitted(table.nodes)
            // A copy into storage reserved to size: appending to an empty
            // string without storage would adopt the grown one instead.
            var names = ""
            names.reserveCapacity(table.names.utf8.count)
            names += table.names
            table.names = names
            return table
        }

        /// `array` in storage of its own size.
        private static func fitted<Element>(_ array: [Element]) -> [Element] {
            guard array.count < array.capacity else { return array }
            var copy: [Element] = []
            copy.reserveCapacity(array.count)
            copy.append(contentsOf: array)
            return copy
        }
    }
}
