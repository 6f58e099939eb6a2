import Conntrack
import FoundationEssentials

/// ClusterState holds the objects the cluster view is made from: this
/// node's pods, the Services and EndpointSlices of all namespaces, and the
/// Node, each keyed by namespace and name. It is fed by a list-then-watch
/// (or by kubectl files, offline) and turned into an immutable `ClusterView`
/// for lookups.
///
/// Objects are held in their compact decoded form; strings repeated across
/// many endpoints (namespaces, node names) are stored once. A value type:
/// copies are independent and it is safe to send between tasks.
public struct ClusterState: Sendable {
    public private(set) var pods: [KubeObjectRef: PodObject] = [:]
    public private(set) var services: [KubeObjectRef: ServiceObject] = [:]
    public private(set) var endpointSlices: [KubeObjectRef: EndpointSliceObject] = [:]
    public private(set) var nodes: [String: NodeObject] = [:]
    /// Long strings seen many times in slices, kept once (short ones are
    /// stored inline anyway). Emptied with a relist of slices, so it holds
    /// no more than the slices held since.
    private var strings: Set<String> = []
    /// Port lists, kept once: most Services (and slices) of a cluster
    /// expose one of a few (`http` 80, `https` 443).
    private var servicePorts: Set<[ServiceObject.ServicePort]> = []
    private var slicePorts: Set<[EndpointSliceObject.Port]> = []

    public init() {}

    /// apply makes one change.
    public mutating func apply(_ change: ClusterChange) {
        switch change {
        case .upsert(let object):
            insert(object)
        case .delete(let object):
            switch object {
            case .pod(let pod): pods[pod.ref] = nil
            case .service(let service): services[service.ref] = nil
            case .endpointSlice(let slice): endpointSlices[slice.ref] = nil
            case .node(let node): nodes[node.name] = nil
            }
        case .replaceAll(let kind, let objects):
            switch kind {
            case .pod: pods = [:]
            case .service:
                services = [:]
                servicePorts = []
            case .endpointSlice:
                endpointSlices = [:]
                strings = []
                slicePorts = []
            case .node: nodes = [:]
            }
            for object in objects where object.kind == kind { insert(object) }
        }
    }

    /// replace makes the objects of `kind` those `other` holds (a list made
    /// up in a state of its own as it arrived), keeping the rest.
    public mutating func replace(_ kind: ClusterKind, from other: ClusterState) {
        switch kind {
        case .pod: pods = other.pods
        case .service:
            services = other.services
            servicePorts = other.servicePorts
        case .endpointSlice:
            endpointSlices = other.endpointSlices
            strings = other.strings
            slicePorts = other.slicePorts
        case .node: nodes = other.nodes
        }
    }

    /// Stores `object` without its resourceVersion (the reflector keeps
    /// the one it resumes from; a version per object would only take room).
    private mutating func insert(_ object: ClusterObject) {
        switch object {
        case .pod(var pod):
            pod.resourceVersion = nil
            pods[pod.ref] = pod
        case .service(var service):
            service.resourceVersion = nil
            if !service.ports.isEmpty { service.ports = servicePorts.insert(service.ports).memberAfterInsert }
            services[service.ref] = service
        case .endpointSlice(var slice):
            slice.resourceVersion = nil
            slice.internStrings { intern($0) }
            if !slice.ports.isEmpty { slice.ports = slicePorts.insert(slice.ports).memberAfterInsert }
            endpointSlices[slice.ref] = slice
        case .node(var node):
            node.resourceVersion = nil
            nodes[node.name] = node
        }
    }

    /// The one stored copy of `text`. Strings of up to 15 UTF-8 bytes live
    /// inline in the String value and need no sharing.
    private mutating func intern(_ text: String) -> String {
        guard text.utf8.count > 15 else { return text }
        return strings.insert(text).memberAfterInsert
    }

    // MARK: offline files

    /// loadPods replaces the pods with those of `kubectl get pods -A -o json`
    /// (every pod: offline there is no node filter). Errors name `path`
    /// (`-` for standard input).
    public mutating func loadPods(json: Data, path: String) throws(KubeDocumentError) {
        let items = try Self.items(PodObject.self, json, subject: "pods", path: path)
        replaceAll(.pod, items, as: ClusterObject.pod)
    }

    /// loadServices replaces the Services with those of `kubectl get svc -A -o json`.
    public mutating func loadServices(json: Data, path: String) throws(KubeDocumentError) {
        let items = try Self.items(ServiceObject.self, json, subject: "services", path: path)
        replaceAll(.service, items, as: ClusterObject.service)
    }

    /// loadEndpointSlices replaces the EndpointSlices with those of
    /// `kubectl get endpointslices -A -o json`.
    public mutating func loadEndpointSlices(json: Data, path: String) throws(KubeDocumentError) {
        let items = try Self.items(EndpointSliceObject.self, json, subject: "endpointslices", path: path)
        replaceAll(.endpointSlice, items, as: ClusterObject.endpointSlice)
    }

    /// loadNodes replaces the Nodes with those of `kubectl get nodes -o json`
    /// (or `kubectl get node NAME -o json`).
    public mutating func loadNodes(json: Data, path: String) throws(KubeDocumentError) {
        let items = try Self.items(NodeObject.self, json, subject: "nodes", path: path)
        replaceAll(.node, items, as: ClusterObject.node)
    }

    /// `replaceAll` without a second array of every object (a file's list can be large).
    private mutating func replaceAll<Item>(_ kind: ClusterKind, _ items: [Item], as wrap: (Item) -> ClusterObject) {
        apply(.replaceAll(kind, []))
        // Sized once: growing a table of every object copies it each time.
        switch kind {
        case .pod: pods.reserveCapacity(items.count)
        case .service: services.reserveCapacity(items.count)
        case .endpointSlice: endpointSlices.reserveCapacity(items.count)
        case .node: nodes.reserveCapacity(items.count)
        }
        for item in items { insert(wrap(item)) }
    }

    private static func items<Item: KubeItem>(
        _ type: Item.Type, _ json: Data, subject: String, path: String
    ) throws(KubeDocumentError) -> [Item] {
        do throws(KubeDocumentError) {
            return try KubeDocument.items(type, from: json, subject: subject)
        } catch {
            throw error.from(path: path)
        }
    }

    // MARK: view

    /// view makes the immutable snapshot lookups are made on. It costs a
    /// pass over every endpoint (sorting the address tables); take it when
    /// the state has changed, not per lookup.
    public func view() -> ClusterView {
        ClusterView(state: self)
    }
}
