/// FlowStatus is the set of `IPS_*` status bits of a conntrack entry
/// (`CTA_STATUS`, include/uapi/linux/netfilter/nf_conntrack_common.h).
public struct FlowStatus: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IPS_EXPECTED: an expected connection (a helper's related flow).
    public static let expected = FlowStatus(rawValue: 1 << 0)
    /// IPS_SEEN_REPLY: a packet was seen in the reply direction. Clear means UNREPLIED.
    public static let seenReply = FlowStatus(rawValue: 1 << 1)
    /// IPS_ASSURED: the entry will not be early-dropped.
    public static let assured = FlowStatus(rawValue: 1 << 2)
    /// IPS_CONFIRMED: the entry is in the hash table.
    public static let confirmed = FlowStatus(rawValue: 1 << 3)
    /// IPS_SRC_NAT: source NAT applies.
    public static let srcNAT = FlowStatus(rawValue: 1 << 4)
    /// IPS_DST_NAT: destination NAT applies (a Service's ClusterIP rewrite).
    public static let dstNAT = FlowStatus(rawValue: 1 << 5)
    /// IPS_SEQ_ADJUST: TCP sequence numbers are adjusted.
    public static let seqAdjust = FlowStatus(rawValue: 1 << 6)
    /// IPS_SRC_NAT_DONE
    public static let srcNATDone = FlowStatus(rawValue: 1 << 7)
    /// IPS_DST_NAT_DONE
    public static let dstNATDone = FlowStatus(rawValue: 1 << 8)
    /// IPS_DYING: the entry is being removed.
    public static let dying = FlowStatus(rawValue: 1 << 9)
    /// IPS_FIXED_TIMEOUT
    public static let fixedTimeout = FlowStatus(rawValue: 1 << 10)
    /// IPS_TEMPLATE
    public static let template = FlowStatus(rawValue: 1 << 11)
    /// IPS_UNTRACKED (obsolete bit, kept for completeness)
    public static let untracked = FlowStatus(rawValue: 1 << 12)
    /// IPS_HELPER
    public static let helper = FlowStatus(rawValue: 1 << 13)
    /// IPS_OFFLOAD
    public static let offload = FlowStatus(rawValue: 1 << 14)
    /// IPS_HW_OFFLOAD
    public static let hardwareOffload = FlowStatus(rawValue: 1 << 15)

    /// The flag names as the kernel headers spell them without `IPS_`, in bit order.
    public static let names: [(FlowStatus, String)] = literalNames.map { ($0.0, $0.1.description) }

    /// The same names as literals, for writers that must not allocate.
    public static let literalNames: [(FlowStatus, StaticString)] = [
        (.expected, "EXPECTED"), (.seenReply, "SEEN_REPLY"), (.assured, "ASSURED"),
        (.confirmed, "CONFIRMED"), (.srcNAT, "SRC_NAT"), (.dstNAT, "DST_NAT"),
        (.seqAdjust, "SEQ_ADJUST"), (.srcNATDone, "SRC_NAT_DONE"), (.dstNATDone, "DST_NAT_DONE"),
        (.dying, "DYING"), (.fixedTimeout, "FIXED_TIMEOUT"), (.template, "TEMPLATE"),
        (.untracked, "UNTRACKED"), (.helper, "HELPER"), (.offload, "OFFLOAD"),
        (.hardwareOffload, "HW_OFFLOAD"),
    ]

    /// The names of the flags that are set, in bit order.
    public var flagNames: [String] { FlowStatus.names.filter { contains($0.0) }.map(\.1) }

    /// Parses a flag name (`SEEN_REPLY`, case-insensitive; `UNREPLIED` is not a flag).
    public init?(name: String) {
        guard let entry = FlowStatus.names.first(where: { $0.1 == name.uppercased() }) else { return nil }
        self = entry.0
    }
}
