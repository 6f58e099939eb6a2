/// FlowFilter narrows dumps and event subscriptions. What the kernel can
/// filter is also sent to the kernel (dump: family, mark, status; events:
/// protocol, addresses, mark); every check is repeated in Swift, because older
/// kernels ignore filter attributes they do not know.
public struct FlowFilter: Sendable, Hashable {
    /// Only this address family, nil for both.
    public var family: IPAddress.Family?
    /// Only these transport protocols (empty: all).
    public var transports: Set<TransportProtocol> = []
    /// Original-tuple source inside one of these prefixes (empty: any).
    public var sources: [CIDR] = []
    /// Original-tuple destination inside one of these prefixes (empty: any).
    public var destinations: [CIDR] = []
    /// `(value, mask)`: entries whose `mark & mask == value`.
    public var mark: (value: UInt32, mask: UInt32)?
    /// `(value, mask)`: entries whose `status & mask == value`.
    public var status: (value: FlowStatus, mask: FlowStatus)?
    /// Only flows whose destination was rewritten (`Flow.isDestinationNATed`).
    public var destinationNATed = false
    /// Only flows that saw no reply (`Flow.isUnreplied`).
    public var unreplied = false

    public init(family: IPAddress.Family? = nil) { self.family = family }

    /// The status filter that keeps DST_NAT entries that saw no reply.
    public static let dnatUnrepliedStatus: (value: FlowStatus, mask: FlowStatus) = (.dstNAT, [.dstNAT, .seenReply])

    /// Whether `flow` passes every check.
    public func matches(_ flow: Flow) -> Bool {
        if let family, flow.family != family { return false }
        if !transports.isEmpty && !transports.contains(flow.transport) { return false }
        if !sources.isEmpty && !sources.contains(where: { $0.contains(flow.original.source) }) { return false }
        if !destinations.isEmpty && !destinations.contains(where: { $0.contains(flow.original.destination) }) {
            return false
        }
        if let mark, flow.mark & mark.mask != mark.value { return false }
        if let status, flow.status.rawValue & status.mask.rawValue != status.value.rawValue { return false }
        if destinationNATed && !flow.isDestinationNATed { return false }
        if unreplied && !flow.isUnreplied { return false }
        return true
    }

    /// The status check the kernel can make for a dump: the explicit one, plus
    /// SEEN_REPLY clear when only unreplied flows are wanted. (DNAT is not
    /// sent: a flow can be DNAT'ed by its tuples without the DST_NAT bit.)
    public var kernelStatus: (value: FlowStatus, mask: FlowStatus)? {
        var value = status?.value ?? []
        var mask = status?.mask ?? []
        if unreplied {
            mask.insert(.seenReply)
            value.remove(.seenReply)
        }
        return mask.isEmpty ? nil : (value, mask)
    }

    public static func == (a: FlowFilter, b: FlowFilter) -> Bool {
        a.family == b.family && a.transports == b.transports && a.sources == b.sources
            && a.destinations == b.destinations && a.mark?.value == b.mark?.value && a.mark?.mask == b.mark?.mask
            && a.status?.value == b.status?.value && a.status?.mask == b.status?.mask
            && a.destinationNATed == b.destinationNATed && a.unreplied == b.unreplied
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(family)
        hasher.combine(transports)
        hasher.combine(sources)
        hasher.combine(destinations)
    }
}
