/// DecodedMessages is what a buffer of ctnetlink messages holds: the entries
/// of a dump or the events of a subscription, and how the answer ended.
public struct DecodedMessages: Sendable, Hashable {
    /// The conntrack entries, in the order of their messages.
    public var entries: [DecodedEntry]
    /// Whether NLMSG_DONE (or an acknowledgement) ended the messages.
    public var done: Bool
    /// Whether a message carried NLM_F_DUMP_INTR: the kernel saw its table
    /// change while it dumped.
    public var interrupted: Bool

    public init(entries: [DecodedEntry], done: Bool, interrupted: Bool) {
        self.entries = entries
        self.done = done
        self.interrupted = interrupted
    }
}

/// DecodedEntry is one conntrack message: an event's kind (a dumped entry
/// reads as `.update`, the kind of a message without NLM_F_CREATE) and its flow.
public struct DecodedEntry: Sendable, Hashable {
    public var kind: EventKind
    public var flow: Flow

    public init(kind: EventKind, flow: Flow) {
        self.kind = kind
        self.flow = flow
    }
}

extension Conntrack {
    /// decode(netlinkMessages:sequence:portID:) decodes netlink bytes as a
    /// socket received them (one or more whole `nlmsghdr` messages, such as
    /// a recorded recv buffer), as dumps and subscriptions do.
    ///
    /// Messages whose sequence number or port id differ from non-zero
    /// `sequence` and `portID` are not answers to that request and are
    /// skipped; 0 takes every message. An NLMSG_ERROR becomes the thrown
    /// ConntrackError. Needs no privilege and no socket.
    public static func decode(
        netlinkMessages bytes: [UInt8], sequence: UInt32 = 0, portID: UInt32 = 0
    ) throws(ConntrackError) -> DecodedMessages {
        try FlowParser.decode(bytes, match: ReplyMatch(sequence: sequence, portID: portID))
    }
}
