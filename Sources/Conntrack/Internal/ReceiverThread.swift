import CNetfilterConntrack
import Glibc

/// ReceiverThread runs a long-lived loop on a dedicated thread, away from the
/// Swift concurrency pool, so a blocking poll(2) never starves other tasks.
final class ReceiverThread: @unchecked Sendable {
    private let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    /// Starts the loop on a detached thread named `ctwatch-receiver`; a
    /// thread the system refuses (EAGAIN at its thread limit) is a ConntrackError.
    func start() throws(ConntrackError) {
        try Syscalls.startDetachedThread(name: "ctwatch-receiver", operation: "start the receiver thread", body)
    }

    /// Waits a little longer each time (0.2 ms doubling to 10 ms): a stalled
    /// consumer costs a hundred wake-ups a second, not thousands.
    static func pause(attempt: Int) { usleep(UInt32(min(200 << min(attempt, 6), 10_000))) }
}

/// Lock is a mutual-exclusion lock over a pthread mutex, for the few classes
/// of the bindings that guard a descriptor.
final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}
