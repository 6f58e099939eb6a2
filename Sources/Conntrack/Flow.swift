/// Tuple is one direction of a conntrack entry (`CTA_TUPLE_ORIG` or `CTA_TUPLE_REPLY`).
///
/// Ports are in host order. For ICMP and ICMPv6 the ports are zero and the
/// entry's `icmp` and `replyICMP` hold type, code and id.
public struct Tuple: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }
}

/// ICMPInfo is the ICMP or ICMPv6 part of a tuple (`CTA_PROTO_ICMP_*`, `CTA_PROTO_ICMPV6_*`).
public struct ICMPInfo: Hashable, Sendable {
    public var type: UInt8
    public var code: UInt8
    public var id: UInt16
    public init(type: UInt8, code: UInt8, id: UInt16) {
        self.type = type
        self.code = code
        self.id = id
    }
}

/// Counters are the packet and byte counts of both directions (`CTA_COUNTERS_*`),
/// present when `nf_conntrack_acct` is on or on DESTROY events.
public struct Counters: Hashable, Sendable {
    public var originalPackets: UInt64
    public var originalBytes: UInt64
    public var replyPackets: UInt64
    public var replyBytes: UInt64
    public init(originalPackets: UInt64, originalBytes: UInt64, replyPackets: UInt64, replyBytes: UInt64) {
        self.originalPackets = originalPackets
        self.originalBytes = originalBytes
        self.replyPackets = replyPackets
        self.replyBytes = replyBytes
    }
}

/// Flow is one conntrack entry as a plain value. Fields the kernel did not send are nil.
public struct Flow: Hashable, Sendable {
    public var family: IPAddress.Family
    public var transport: TransportProtocol
    public var original: Tuple
    public var reply: Tuple
    /// The original tuple's ICMP or ICMPv6 type, code and id.
    public var icmp: ICMPInfo?
    /// The reply tuple's ICMP or ICMPv6 type, code and id, as the kernel holds
    /// them: the reply type is the kernel's own inversion of the original's
    /// (8 gives 0, ICMPv6 139 gives 140), not a guess from a table.
    public var replyICMP: ICMPInfo?
    public var status: FlowStatus
    public var tcpState: TCPState?
    /// Seconds left before the entry expires (`CTA_TIMEOUT`).
    public var timeout: UInt32?
    public var mark: UInt32
    public var zone: UInt16
    /// `CTA_ID`: stable for the entry's life.
    public var id: UInt32?
    /// Start time in nanoseconds since the epoch (`CTA_TIMESTAMP_START`, needs `nf_conntrack_timestamp=1`).
    public var startNanoseconds: UInt64?
    /// Stop time in nanoseconds since the epoch (`CTA_TIMESTAMP_STOP`, on DESTROY).
    public var stopNanoseconds: UInt64?
    public var counters: Counters?

    public init(
        family: IPAddress.Family, transport: TransportProtocol, original: Tuple, reply: Tuple,
        icmp: ICMPInfo? = nil, replyICMP: ICMPInfo? = nil, status: FlowStatus = [], tcpState: TCPState? = nil,
        timeout: UInt32? = nil,
        mark: UInt32 = 0, zone: UInt16 = 0, id: UInt32? = nil, startNanoseconds: UInt64? = nil,
        stopNanoseconds: UInt64? = nil, counters: Counters? = nil
    ) {
        self.family = family
        self.transport = transport
        self.original = original
        self.reply = reply
        self.icmp = icmp
        self.replyICMP = replyICMP
        self.status = status
        self.tcpState = tcpState
        self.timeout = timeout
        self.mark = mark
        self.zone = zone
        self.id = id
        self.startNanoseconds = startNanoseconds
        self.stopNanoseconds = stopNanoseconds
        self.counters = counters
    }

    /// isDestinationNATed tells whether the original destination was rewritten:
    /// the DST_NAT bit, or an original destination that differs from the reply source.
    public var isDestinationNATed: Bool {
        status.contains(.dstNAT) || original.destination != reply.source
            || (transport.hasPorts && original.destinationPort != reply.sourcePort)
    }

    /// isSourceNATed tells whether the original source was rewritten:
    /// the SRC_NAT bit, or an original source that differs from the reply destination.
    public var isSourceNATed: Bool {
        status.contains(.srcNAT) || original.source != reply.destination
            || (transport.hasPorts && original.sourcePort != reply.destinationPort)
    }

    /// isUnreplied tells whether no packet was seen in the reply direction (SEEN_REPLY clear).
    public var isUnreplied: Bool { !status.contains(.seenReply) }

    /// FlowKey identifies an entry for its lifetime: zone, original tuple and `CTA_ID`.
    public struct Key: Hashable, Sendable {
        public var zone: UInt16
        public var transport: UInt8
        public var original: Tuple
        public var id: UInt32
    }

    public var key: Key { Key(zone: zone, transport: transport.rawValue, original: original, id: id ?? 0) }

    /// The Community ID v1 (seed 0 unless given) of the original tuple.
    public func communityID(seed: UInt16 = 0) -> String {
        CommunityID.render(communityIDDigest(seed: seed))
    }

    /// The same Community ID as its 30 ASCII bytes, held inline: what the
    /// JSON formatters copy into each line, with no allocation.
    public func communityIDText(seed: UInt16 = 0) -> InlineArray<30, UInt8> {
        CommunityID.text(communityIDDigest(seed: seed))
    }

    private func communityIDDigest(seed: UInt16) -> SHA1.Digest {
        let (sport, dport): (UInt16, UInt16) =
            if let icmp { (UInt16(icmp.type), UInt16(icmp.code)) } else {
                (original.sourcePort, original.destinationPort)
            }
        return CommunityID.digest(
            source: original.source, destination: original.destination, transport: transport.rawValue,
            sourcePort: sport, destinationPort: dport, seed: seed)
    }
}
