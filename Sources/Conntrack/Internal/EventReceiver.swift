import CNetfilterConntrack
import Foundation

/// EventReceiver drains an event socket on a thread of its own: recvmmsg(2)
/// in batches, parse, filter, hand over. Parsing and output happen elsewhere,
/// so the socket is emptied as fast as the kernel fills it.
final class EventReceiver: @unchecked Sendable {
    private let socket: NetlinkSocket
    private let wakeFD: Int32
    private let messageCount = 64
    private let messageSize = 16384
    private let handOverSize = 512
    private let lingerMilliseconds: Int32 = 1
    private let buffers: UnsafeMutableRawPointer
    private let vectors: UnsafeMutablePointer<iovec>
    private let headers: UnsafeMutablePointer<ctw_mmsghdr>
    private let types: EventTypes
    private let filter: FlowFilter
    private let maxBufferSize: Int
    private(set) var bufferSize: Int
    private var overruns = 0

    init(socket: NetlinkSocket, types: EventTypes, filter: FlowFilter, bufferSize: Int, maxBufferSize: Int) throws {
        self.socket = socket
        self.types = types
        self.filter = filter
        self.bufferSize = bufferSize
        self.maxBufferSize = maxBufferSize
        wakeFD = try Sys.valueOrErrno("create an eventfd") { eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK)) }
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
        Sys.close(wakeFD)
        buffers.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    /// Wakes the receiving thread so that `run` returns. Safe from any thread.
    func stop() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Receives until stopped. `deliver` gets each non-empty batch; `fail` the error that ended it.
    func run(deliver: ([EventStreamElement]) -> Void) -> ConntrackError? {
        let parser = FlowParser()
        var pollSet = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        // Events are handed over when the socket stays empty for a millisecond
        // or a batch is full: under load one wake-up of the consumer per few
        // hundred events; when idle each event goes out within a millisecond.
        var batch: [EventStreamElement] = []
        func handOver() {
            if !batch.isEmpty {
                deliver(batch)
                batch = []
            }
        }
        while true {
            let received = ctw_recvmmsg(socket.fd, headers, UInt32(messageCount), Int32(MSG_DONTWAIT))
            if received < 0 {
                let code = errno
                switch code {
                case EINTR:
                    continue
                case EAGAIN:
                    // With events in hand, linger up to a millisecond for more
                    // before waking the consumer: under load that turns a wake-up
                    // per event into one per batch, and costs an idle tail 1 ms.
                    pollSet[0].revents = 0
                    pollSet[1].revents = 0
                    let ready = poll(&pollSet, 2, batch.isEmpty ? -1 : lingerMilliseconds)
                    if ready < 0 && errno != EINTR {
                        handOver()
                        return ConntrackError(operation: "wait for conntrack events", errno: errno)
                    }
                    if pollSet[1].revents != 0 {
                        handOver()
                        return nil
                    }
                    if ready == 0 { handOver() }
                    continue
                case ENOBUFS:
                    overruns += 1
                    if bufferSize < maxBufferSize {
                        bufferSize = socket.setReceiveBuffer(min(bufferSize * 2, maxBufferSize)).granted
                    }
                    batch.append(.lost(EventLoss(overruns: overruns, receiveBufferSize: bufferSize, detected: .now())))
                    handOver()
                    continue
                default:
                    handOver()
                    return ConntrackError(operation: "receive conntrack events", errno: code)
                }
            }
            let now = WallTime.now()
            if batch.capacity == 0 { batch.reserveCapacity(handOverSize) }
            for i in 0..<Int(received) {
                let length = Int(headers[i].msg_len)
                let bytes = UnsafeRawBufferPointer(start: buffers + i * messageSize, count: length)
                _ = parser.parse(bytes) { kind, flow in
                    if types.contains(kind) && filter.matches(flow) {
                        batch.append(.event(ConntrackEvent(kind: kind, flow: flow, received: now)))
                    }
                }
            }
            if batch.count >= handOverSize { handOver() }
        }
    }
}

/// Builds and attaches the kernel-side event filter (`nfct_filter`, a BPF
/// program on the socket) for what it can express: protocols and IPv4
/// original-tuple prefixes. Everything is checked again in Swift.
enum KernelEventFilter {
    static func attach(_ filter: FlowFilter, to socket: NetlinkSocket) throws {
        let ipv4Sources = filter.sources.filter { $0.family == .ipv4 }
        let ipv4Destinations = filter.destinations.filter { $0.family == .ipv4 }
        // A prefix list that mixes families is left to Swift: the BPF program
        // would reject the other family's events.
        let useSources = !ipv4Sources.isEmpty && ipv4Sources.count == filter.sources.count
        let useDestinations = !ipv4Destinations.isEmpty && ipv4Destinations.count == filter.destinations.count
        guard !filter.transports.isEmpty || useSources || useDestinations else { return }
        guard let kernelFilter = nfct_filter_create() else { return }
        defer { nfct_filter_destroy(kernelFilter) }
        for transport in filter.transports {
            nfct_filter_add_attr_u32(kernelFilter, NFCT_FILTER_L4PROTO, UInt32(transport.rawValue))
        }
        func add(_ prefixes: [CIDR], _ attribute: nfct_filter_attr) {
            for prefix in prefixes {
                var value = nfct_filter_ipv4(addr: prefix.address.ipv4Value, mask: prefix.mask.ipv4Value)
                nfct_filter_add_attr(kernelFilter, attribute, &value)
            }
        }
        if useSources { add(ipv4Sources, NFCT_FILTER_SRC_IPV4) }
        if useDestinations { add(ipv4Destinations, NFCT_FILTER_DST_IPV4) }
        try Sys.valueOrErrno("attach the kernel event filter") { nfct_filter_attach(socket.fd, kernelFilter) }
    }
}
