import CNetfilterConntrack
import FoundationEssentials
import Synchronization

/// EventReceiver drains an event socket on a thread of its own: recvmmsg(2)
/// in batches, parse, filter, hand over. Parsing and output happen elsewhere,
/// so the socket is emptied as fast as the kernel fills it.
final class EventReceiver: @unchecked Sendable {
    private let socket: NetlinkSocket
    private let stopRequested = Atomic<Bool>(false)
    private let messageCount = 64
    private let messageSize = 16384
    private let handOverSize = 512
    /// How long a blocking receive waits before it looks at `stopRequested`.
    private let stopCheckMicroseconds = 200_000
    /// A pause after a receive that drained the socket, so that a burst
    /// arrives as batches rather than as one wake-up per event.
    private let napMicroseconds: UInt32 = 200
    /// The longest an event waits in a batch, and the heartbeat period.
    private let maxWaitNanoseconds: UInt64 = 2_000_000
    private let heartbeatNanoseconds: UInt64 = 200_000_000
    private let buffers: UnsafeMutableRawPointer
    private let vectors: UnsafeMutablePointer<iovec>
    private let headers: UnsafeMutablePointer<ctw_mmsghdr>
    private let types: EventTypes
    private let filter: FlowFilter
    private let maxBufferSize: Int
    private let heartbeat: Bool
    private(set) var bufferSize: Int
    private var overruns = 0
    /// The socket's drop counter when the subscription started: losses are
    /// counted from there.
    private let dropsAtStart: UInt32?
    /// `droppedSinceStart()` as of the thread's last look, for other threads;
    /// UInt64.max while unknown.
    private let lastDropCount = Atomic<UInt64>(.max)

    init(
        socket: NetlinkSocket, types: EventTypes, filter: FlowFilter, bufferSize: Int, maxBufferSize: Int,
        heartbeat: Bool
    ) throws {
        self.socket = socket
        self.heartbeat = heartbeat
        self.types = types
        self.filter = filter
        self.bufferSize = bufferSize
        self.maxBufferSize = maxBufferSize
        try socket.setReceiveTimeout(microseconds: stopCheckMicroseconds)
        dropsAtStart = try? socket.drops()
        if dropsAtStart != nil { lastDropCount.store(0, ordering: .relaxed) }
        buffers = .allocate(byteCount: messageCount * messageSize, alignment: 8)
        vectors = .allocate(capacity: messageCount)
        headers = .allocate(capacity: messageCount)
        for i in 0..<messageCount {
            vectors[i] = iovec(iov_base: buffers + i * messageSize, iov_len: messageSize)
            headers[i] = ctw_mmsghdr()
            headers[i].msg_hdr.msg_iov = vectors + i
            headers[i].msg_hdr.msg_iovlen = 1
        }
    }

    deinit {
        buffers.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    /// Makes `run` return within `stopCheckMicroseconds`. Safe from any thread.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
    }

    var isStopping: Bool { stopRequested.load(ordering: .acquiring) }

    /// Closes the socket; call from the receiving thread once `run` returned.
    func closeSocket() { socket.close() }

    private let operation = "receive conntrack events"

    /// Messages the kernel dropped on this socket since the subscription
    /// started; nil when the kernel does not say (SO_MEMINFO failed). The
    /// counter is 32 bits and wraps: the difference is taken modulo 2^32.
    private func droppedSinceStart() -> UInt64? {
        guard let dropsAtStart, let now = try? socket.drops() else { return nil }
        return UInt64(now &- dropsAtStart)
    }

    private func publishDropCount() {
        if let dropped = droppedSinceStart() { lastDropCount.store(dropped, ordering: .releasing) }
    }

    /// The messages dropped since the start, as the receiving thread last saw
    /// them (it looks after every overrun and whenever the socket is drained
    /// or idle); nil until it has looked. Safe from any thread.
    var droppedMessages: UInt64? {
        let value = lastDropCount.load(ordering: .acquiring)
        return value == .max ? nil : value
    }

    /// Receives until stopped. `deliver` gets each batch, in order (empty
    /// ones are heartbeats).
    ///
    /// With nothing in hand the thread blocks in recvmmsg(MSG_WAITFORONE): one
    /// system call per wake-up, which returns every message queued by then.
    /// After a receive that drained the socket it naps briefly and reads again
    /// without blocking. A batch goes to the consumer when a read finds the
    /// socket empty, when it holds 512 events, or when its first event has
    /// waited 2 ms (events the filter drops can keep the socket busy without
    /// ever filling a batch). Under load that is one wake-up per batch instead
    /// of one per event; an event waits at most about 2 ms.
    func run(deliver: ([EventStreamElement]) -> Void) -> ConntrackError? {
        let parser = FlowParser()
        var batch: [EventStreamElement] = []
        var batchStarted: UInt64 = 0
        var lastDelivery = MonotonicClock.nanoseconds()
        func handOver() {
            if !batch.isEmpty {
                deliver(batch)
                batch = []
                lastDelivery = MonotonicClock.nanoseconds()
            }
        }
        func heartbeatIfDue() {
            guard heartbeat, batch.isEmpty, !isStopping else { return }
            let now = MonotonicClock.nanoseconds()
            if now - lastDelivery >= heartbeatNanoseconds {
                deliver([])
                lastDelivery = now
            }
        }
        while !stopRequested.load(ordering: .acquiring) {
            let flags = batch.isEmpty ? CTW_MSG_WAITFORONE : Int32(MSG_DONTWAIT)
            let received: Int
            do {
                received = try socket.receiveMessages(headers, count: messageCount, flags: flags, operation: operation)
            } catch {
                switch error.errno {
                case EAGAIN:
                    handOver()  // drained, or the blocking receive timed out
                    heartbeatIfDue()
                    // The kernel reports ENOBUFS once per episode; drops that
                    // follow while the buffer is still full are only counted.
                    publishDropCount()
                    continue
                case ENOBUFS:
                    overruns += 1
                    if bufferSize < maxBufferSize {
                        bufferSize = socket.setReceiveBuffer(min(bufferSize * 2, maxBufferSize)).granted
                    }
                    let dropped = droppedSinceStart()
                    if let dropped { lastDropCount.store(dropped, ordering: .releasing) }
                    batch.append(
                        .lost(
                            EventLoss(
                                overruns: overruns, receiveBufferSize: bufferSize, detected: .now(),
                                droppedMessages: dropped)))
                    handOver()
                    continue
                default:
                    handOver()
                    return error
                }
            }
            let now = WallTime.now()
            let wasEmpty = batch.isEmpty
            if batch.capacity == 0 { batch.reserveCapacity(handOverSize) }
            for i in 0..<received {
                let length = Int(headers[i].msg_len)
                let bytes = UnsafeRawBufferPointer(start: buffers + i * messageSize, count: length)
                _ = parser.parse(bytes) { kind, flow in
                    if types.contains(kind) && filter.matches(flow) {
                        batch.append(.event(ConntrackEvent(kind: kind, flow: flow, received: now)))
                    }
                }
            }
            if wasEmpty && !batch.isEmpty { batchStarted = MonotonicClock.nanoseconds() }
            if batch.count >= handOverSize
                || (!batch.isEmpty && MonotonicClock.nanoseconds() - batchStarted >= maxWaitNanoseconds)
            {
                handOver()
            }
            heartbeatIfDue()
            if received < messageCount {
                usleep(napMicroseconds)
            }
        }
        handOver()
        return nil
    }
}

/// Builds and attaches the kernel-side event filter (`nfct_filter`, a BPF
/// program on the socket) for what it can express: protocols, IPv4
/// original-tuple prefixes and the mark. Everything is checked again in Swift.
enum KernelEventFilter {
    static func attach(_ filter: FlowFilter, to socket: NetlinkSocket) throws {
        let ipv4Sources = filter.sources.filter { $0.family == .ipv4 }
        let ipv4Destinations = filter.destinations.filter { $0.family == .ipv4 }
        // A prefix list that mixes families is left to Swift: the BPF program
        // would reject the other family's events.
        let useSources = !ipv4Sources.isEmpty && ipv4Sources.count == filter.sources.count
        let useDestinations = !ipv4Destinations.isEmpty && ipv4Destinations.count == filter.destinations.count
        var program = Syscalls.EventFilterProgram()
        program.transports = filter.transports.map(\.rawValue)
        if useSources { program.ipv4Sources = ipv4Sources.map { ($0.address.ipv4Value, $0.mask.ipv4Value) } }
        if useDestinations {
            program.ipv4Destinations = ipv4Destinations.map { ($0.address.ipv4Value, $0.mask.ipv4Value) }
        }
        if let mark = filter.mark { program.mark = (mark.value, mark.mask) }
        try socket.attach(program, operation: "attach the kernel event filter")
    }
}
