import Synchronization

/// EventSubscription is a live feed of conntrack events from one namespace.
///
/// A thread of its own drains the socket; events reach the consumer in the
/// batches they were received in (`batches`), or one by one when the
/// subscription is iterated as an AsyncSequence. A receive-buffer overrun is
/// never swallowed: it arrives as a `.lost` element with the running count,
/// and the stream goes on. Iterate it from one task only. `cancel()` and the
/// read-only properties are safe from any thread.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = EventStreamElement

    /// Options for a subscription.
    public struct Options: Sendable {
        public var types: EventTypes = .all
        /// Checks applied to every event; the kernel-side BPF filter is attached for what it can express.
        public var filter = FlowFilter()
        /// The receive buffer asked for at start (SO_RCVBUFFORCE, falling back to SO_RCVBUF).
        public var bufferSize = 64 << 20
        /// The limit the buffer grows to after overruns.
        public var maxBufferSize = 512 << 20
        /// Reliable mode: NETLINK_BROADCAST_ERROR. When this listener cannot
        /// take an event the kernel learns of it and retries: a destroyed entry
        /// stays on the dying list until its DESTROY is delivered (a flush is
        /// held back), and a flow's undelivered NEW/UPDATE bits go out with its
        /// next event. NETLINK_NO_ENOBUFS, which conntrackd adds, is left off on
        /// purpose: it hides the overruns the kernel cannot retry (measured on a
        /// 4 KiB buffer: 1839 of 20000 NEW events of ctnetlink inserts arrived,
        /// with no ENOBUFS), and a loss must never be silent.
        public var reliable = false
        /// How many received events may wait for the consumer before the
        /// receiving thread stops reading (the socket buffer then takes the
        /// strain): about 16 MiB of parsed events.
        public var maxPending = 1 << 16
        /// Deliver an empty batch when no event came for 0.2 s, so a consumer
        /// that also keeps time (timers, a closed output) wakes without events.
        public var heartbeat = false
        public init() {}
    }

    /// The receive buffer the kernel granted at start.
    public let grantedBufferSize: Int
    /// Whether the buffer was set with SO_RCVBUFFORCE (false: SO_RCVBUF, capped by net.core.rmem_max).
    public let bufferForced: Bool
    public let options: Options

    private let receiver: EventReceiver
    private let stream: AsyncStream<[EventStreamElement]>
    fileprivate let shared = SharedState()

    /// What the receiving thread and the consumer share.
    fileprivate final class SharedState: Sendable {
        let pending = Atomic<Int>(0)
        let failure = Mutex<ConntrackError?>(nil)
    }

    /// Takes ownership of `socket`: it is closed when the receiving thread
    /// ends, or here when the subscription cannot be set up.
    init(socket: NetlinkSocket, options: Options) throws {
        self.options = options
        do {
            let (granted, forced) = socket.setReceiveBuffer(options.bufferSize)
            grantedBufferSize = granted
            bufferForced = forced
            if options.reliable {
                try socket.setNetlinkOption(
                    NETLINK_BROADCAST_ERROR_OPTION, true, operation: "enable reliable event delivery")
            }
            try KernelEventFilter.attach(options.filter, to: socket)
            receiver = try EventReceiver(
                socket: socket, types: options.types, filter: options.filter,
                bufferSize: granted, maxBufferSize: Swift.max(options.maxBufferSize, granted),
                heartbeat: options.heartbeat)
        } catch {
            socket.close()
            throw error
        }
        let (stream, continuation) = AsyncStream.makeStream(of: [EventStreamElement].self, bufferingPolicy: .unbounded)
        self.stream = stream
        let receiver = self.receiver
        continuation.onTermination = { _ in receiver.stop() }
        let thread = ReceiverThread { [shared, maxPending = options.maxPending] in
            let error = receiver.run { batch in
                // Back-pressure: let the kernel buffer hold the excess rather than this process.
                var attempt = 0
                while shared.pending.load(ordering: .acquiring) > maxPending && !receiver.isStopping {
                    ReceiverThread.pause(attempt: attempt)
                    attempt += 1
                }
                shared.pending.add(batch.count, ordering: .releasing)
                continuation.yield(batch)
            }
            // The thread is the socket's one user: it closes it when it is done.
            receiver.closeSocket()
            shared.failure.withLock { $0 = error }
            continuation.finish()
        }
        do {
            try thread.start()
        } catch {
            receiver.closeSocket()
            shared.failure.withLock { $0 = error }
            continuation.finish()
        }
    }

    /// Ends the subscription; iteration then finishes.
    public func cancel() { receiver.stop() }

    // Dropping the subscription ends its thread, which closes the socket.
    deinit { receiver.stop() }

    /// The error that ended the stream, if one did.
    public var error: ConntrackError? { shared.failure.withLock { $0 } }

    /// The messages the kernel dropped on this subscription's socket since it
    /// started (its SO_MEMINFO drop counter), as the receiving thread last
    /// looked: after every overrun, and whenever the socket ran dry or stayed
    /// idle (at least every 0.2 s while running). It goes on counting after
    /// the last `.lost` element of an episode: the kernel says ENOBUFS once
    /// per episode, and drops that follow while the buffer is still full are
    /// only counted. Nil when the kernel does not tell. Safe from any thread.
    public var droppedMessages: UInt64? { receiver.droppedMessages }

    /// Batches of elements in the order received, as the receiving thread
    /// handed them over (up to 512 events, none older than about 2 ms; empty
    /// ones are heartbeats when `Options.heartbeat` is set), so a consumer can
    /// write each batch at once.
    public var batches: Batches { Batches(subscription: self) }

    /// Batches is the batch view of a subscription. Its iterator keeps the
    /// subscription alive: the stream lasts as long as someone iterates it.
    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = [EventStreamElement]
        let subscription: EventSubscription

        public struct AsyncIterator: AsyncIteratorProtocol {
            let subscription: EventSubscription
            var base: AsyncStream<[EventStreamElement]>.AsyncIterator

            public mutating func next() async -> [EventStreamElement]? {
                guard let batch = await base.next() else { return nil }
                subscription.shared.pending.subtract(batch.count, ordering: .releasing)
                return batch
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(subscription: subscription, base: subscription.stream.makeAsyncIterator())
        }
    }

    /// One element at a time; the iterator keeps the subscription alive.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var batches: Batches.AsyncIterator
        var current: [EventStreamElement] = []
        var index = 0

        public mutating func next() async -> EventStreamElement? {
            while index == current.count {
                guard let batch = await batches.next() else { return nil }
                current = batch
                index = 0
            }
            defer { index += 1 }
            return current[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(batches: batches.makeAsyncIterator())
    }
}
