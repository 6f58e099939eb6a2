import Conntrack

/// StuckLedger keeps the flows a watch has reported stuck and not yet
/// cleared, counted by Service and diagnosis code: what the gauge
/// `ctwatch_stuck_flows{namespace,service,reason}` shows. A flow counts under
/// what it was reported as, until its cleared finding comes.
public struct StuckLedger: Sendable {
    /// Series is one label set: the Service (empty when unknown) and the code.
    public struct Series: Hashable, Sendable, Comparable {
        public var namespace: String
        public var service: String
        public var reason: String

        public init(namespace: String, service: String, reason: String) {
            self.namespace = namespace
            self.service = service
            self.reason = reason
        }

        public static func < (a: Series, b: Series) -> Bool {
            (a.namespace, a.service, a.reason) < (b.namespace, b.service, b.reason)
        }
    }

    /// One conntrack entry, as the tracker tells entries apart: a new entry
    /// with the same tuple (a client reusing its port) has another id, and
    /// the same tuple may live in two zones.
    private struct FlowKey: Hashable {
        var id: UInt32
        var zone: UInt16
        var transport: TransportProtocol
        var original: Tuple
    }

    private var open: [FlowKey: Series] = [:]
    /// Flows now stuck, per series; a series whose flows all cleared is gone.
    public private(set) var counts: [Series: Int] = [:]

    public init() {}

    /// The number of flows now stuck.
    public var total: Int { open.count }

    /// record takes one finding: a stuck one is counted (once, however often
    /// reported), a cleared one is taken off. Returns the series of a flow
    /// newly counted, nil otherwise.
    @discardableResult
    public mutating func record(_ finding: StuckFinding) -> Series? {
        let flow = finding.flow
        let key = FlowKey(id: flow.id ?? 0, zone: flow.zone, transport: flow.transport, original: flow.original)
        if finding.cleared != nil {
            guard let series = open.removeValue(forKey: key) else { return nil }
            let left = (counts[series] ?? 1) - 1
            counts[series] = left > 0 ? left : nil
            return nil
        }
        guard open[key] == nil else { return nil }
        let service = finding.attribution.service
        let series = Series(
            namespace: service?.namespace ?? "", service: service?.name ?? "", reason: finding.diagnosis.code)
        open[key] = series
        counts[series, default: 0] += 1
        return series
    }
}
