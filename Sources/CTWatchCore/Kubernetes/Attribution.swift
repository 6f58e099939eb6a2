import Conntrack

/// Attribution names the Kubernetes objects behind a flow's addresses.
public struct Attribution: Sendable, Hashable {
    public var sourcePod: KubeObjectRef?
    public var backendPod: KubeObjectRef?
    public var service: KubeObjectRef?
    public init(sourcePod: KubeObjectRef? = nil, backendPod: KubeObjectRef? = nil, service: KubeObjectRef? = nil) {
        self.sourcePod = sourcePod
        self.backendPod = backendPod
        self.service = service
    }

    /// Whether it names nothing.
    public var isEmpty: Bool { sourcePod == nil && backendPod == nil && service == nil }

    /// Appends the names known, after a text line's tuples:
    /// ` pod=shop/web-0 service=shop/cart backend=shop/cart-7d4f-x2`.
    public func appendText(to out: inout some ByteOutput) {
        for (key, ref) in [("pod", sourcePod), ("service", service), ("backend", backendPod)] {
            guard let ref else { continue }
            out.append(0x20)
            out.append(utf8: key)
            out.append(UInt8(ascii: "="))
            out.append(utf8: ref.description)
        }
    }
}

extension ClusterView {
    /// The client pod (original source), the backend pod (reply source) and
    /// the Service (original destination and port) of a flow, where known.
    public func attribution(of flow: Flow) -> Attribution {
        Attribution(
            sourcePod: pod(for: flow.original.source),
            backendPod: flow.reply.source == flow.original.destination ? nil : pod(for: flow.reply.source),
            service: service(
                destination: flow.original.destination, port: flow.original.destinationPort, transport: flow.transport)?
                .service)
    }
}
