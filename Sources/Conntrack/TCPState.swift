/// TCPState is conntrack's TCP state machine position (`enum tcp_conntrack`,
/// `CTA_PROTOINFO_TCP_STATE`), named as `conntrack -L` prints it.
public enum TCPState: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    case synSent = 1
    case synRecv = 2
    case established = 3
    case finWait = 4
    case closeWait = 5
    case lastAck = 6
    case timeWait = 7
    case close = 8
    /// TCP_CONNTRACK_SYN_SENT2 (simultaneous open); conntrack prints it as SYN_SENT2.
    case synSent2 = 9

    public var description: String { name.description }

    /// The name as a literal (no allocation).
    public var name: StaticString {
        switch self {
        case .none: "NONE"
        case .synSent: "SYN_SENT"
        case .synRecv: "SYN_RECV"
        case .established: "ESTABLISHED"
        case .finWait: "FIN_WAIT"
        case .closeWait: "CLOSE_WAIT"
        case .lastAck: "LAST_ACK"
        case .timeWait: "TIME_WAIT"
        case .close: "CLOSE"
        case .synSent2: "SYN_SENT2"
        }
    }
}
