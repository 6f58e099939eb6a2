/// EventKind is what happened to an entry. The library's own names, not the
/// kernel's message numbers.
public enum EventKind: Sendable, Hashable, CaseIterable {
    case new, update, destroy

    /// The tag `conntrack -E` prints: `NEW`, `UPDATE`, `DESTROY`.
    public var tag: String { literalTag.description }

    /// The same tag as a literal, for writers that must not allocate.
    public var literalTag: StaticString {
        switch self {
        case .new: "NEW"
        case .update: "UPDATE"
        case .destroy: "DESTROY"
        }
    }
}

/// EventTypes selects the event groups a subscription joins.
public struct EventTypes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// NF_NETLINK_CONNTRACK_NEW
    public static let new = EventTypes(rawValue: 1)
    /// NF_NETLINK_CONNTRACK_UPDATE
    public static let update = EventTypes(rawValue: 2)
    /// NF_NETLINK_CONNTRACK_DESTROY
    public static let destroy = EventTypes(rawValue: 4)
    public static let all: EventTypes = [.new, .update, .destroy]

    public func contains(_ kind: EventKind) -> Bool {
        switch kind {
        case .new: contains(EventTypes.new)
        case .update: contains(EventTypes.update)
        case .destroy: contains(EventTypes.destroy)
        }
    }
}

/// ConntrackEvent is one event of the table: what happened, to which flow, when it was received.
public struct ConntrackEvent: Sendable, Hashable {
    public var kind: EventKind
    public var flow: Flow
    public var received: WallTime
    public init(kind: EventKind, flow: Flow, received: WallTime) {
        self.kind = kind
        self.flow = flow
        self.received = received
    }
}

/// EventLoss reports a receive-buffer overrun (ENOBUFS): events were dropped by
/// the kernel before ctwatch could read them.
public struct EventLoss: Sendable, Hashable {
    /// The number of overruns since the subscription started, this one included.
    public var overruns: Int
    /// The receive buffer size after this overrun (it grows up to the subscription's limit).
    public var receiveBufferSize: Int
    public var detected: WallTime
    /// The messages the kernel dropped on the socket since the subscription
    /// started, as its drop counter (SO_MEMINFO) says when this overrun is
    /// read; nil when the kernel does not tell. The kernel reports one
    /// ENOBUFS per overrun episode, so this runs far ahead of `overruns`. It
    /// never goes down.
    public var droppedMessages: UInt64?

    public init(overruns: Int, receiveBufferSize: Int, detected: WallTime, droppedMessages: UInt64? = nil) {
        self.overruns = overruns
        self.receiveBufferSize = receiveBufferSize
        self.detected = detected
        self.droppedMessages = droppedMessages
    }
}

/// EventStreamElement is what an event subscription yields: an event, or the
/// news that events were lost. Loss is never swallowed.
public enum EventStreamElement: Sendable, Hashable {
    case event(ConntrackEvent)
    case lost(EventLoss)
}
