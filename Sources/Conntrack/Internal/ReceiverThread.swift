import Foundation

/// ReceiverThread runs a long-lived loop on a dedicated thread, away from the
/// Swift concurrency pool, so a blocking poll(2) never starves other tasks.
final class ReceiverThread: @unchecked Sendable {
    private let thread: Thread
    init(_ body: @escaping @Sendable () -> Void) {
        thread = Thread(block: body)
        thread.name = "ctwatch-receiver"
    }
    func start() { thread.start() }

    /// Waits a little longer each time (0.2 ms doubling to 10 ms): a stalled
    /// consumer costs a hundred wake-ups a second, not thousands.
    static func pause(attempt: Int) { usleep(UInt32(min(200 << min(attempt, 6), 10_000))) }
}
