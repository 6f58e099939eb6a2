import Conntrack
import Foundation
import Synchronization
import TestSupport
import Testing

/// EventRecorder drains a subscription in a task of its own and keeps what
/// arrived, so a test can make traffic and then wait for the events it expects.
final class EventRecorder: Sendable {
    private final class Storage: Sendable {
        let events = Mutex<[ConntrackEvent]>([])
        let losses = Mutex<[EventLoss]>([])
    }

    private let storage = Storage()
    private let subscription: EventSubscription
    private let task: Task<Void, Never>

    init(_ subscription: EventSubscription) {
        self.subscription = subscription
        let storage = self.storage
        task = Task.detached {
            for await element in subscription {
                switch element {
                case .event(let event): storage.events.withLock { $0.append(event) }
                case .lost(let loss): storage.losses.withLock { $0.append(loss) }
                }
            }
        }
    }

    var events: [ConntrackEvent] { storage.events.withLock { $0 } }
    var losses: [EventLoss] { storage.losses.withLock { $0 } }

    /// Waits until `done` holds for the events so far; false after `timeout` seconds.
    func wait(timeout: Double = 30, until done: ([ConntrackEvent]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if done(events) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return done(events)
    }

    /// Ends the subscription and the draining task.
    func stop() async {
        subscription.cancel()
        await task.value
    }
}

/// The test bed's addresses (Scripts/testbed).
enum Bed {
    static func podA(_ ipv6: Bool) -> IPAddress { IPAddress(ipv6 ? "fd00:224:1::34" : "10.224.1.34")! }
    static func podB(_ ipv6: Bool) -> IPAddress { IPAddress(ipv6 ? "fd00:224:1::56" : "10.224.1.56")! }
    static func clusterIP(_ ipv6: Bool) -> IPAddress { IPAddress(ipv6 ? "fd00:233::172" : "10.233.53.172")! }
    static let servicePort: UInt16 = 8080
}

extension ConntrackEvent {
    /// Whether this is pod A's connection to the ClusterIP (any source port).
    func isCallToCluster(ipv6: Bool, transport: TransportProtocol = .tcp) -> Bool {
        flow.transport == transport && flow.original.source == Bed.podA(ipv6)
            && flow.original.destination == Bed.clusterIP(ipv6) && flow.original.destinationPort == Bed.servicePort
    }
}

/// The objects of a ctwatch JSON output, read from the bytes it wrote. A line
/// that is no strict JSON object is left out here: the output checks
/// (`eventOutputProblems`, `listOutputProblems`, `JSONLineSchema.checkOutput`) report it.
func jsonValues(_ stdout: [UInt8]) -> [JSONValue] {
    JSONLineSchema.checkOutput(stdout).values
}

/// The complete lines collected so far (`RunningProcess.stdoutLinesSoFar`) as the bytes
/// they were, for conditions on output still being written.
func bytes(ofLines lines: [String]) -> [UInt8] {
    Array(lines.map { $0 + "\n" }.joined().utf8)
}

/// The `ctwatch.conntrack.id` of each object, in output order.
func conntrackIDs(_ values: [JSONValue]) -> [UInt64] {
    values.compactMap { $0[path: "ctwatch", "conntrack", "id"]?.unsignedValue }
}

/// The event kind a `ctwatch events` JSON line says it is.
func eventKind(_ value: JSONValue) -> EventKind? {
    switch value[path: "event", "action"]?.stringValue {
    case "conntrack-new": .new
    case "conntrack-update": .update
    case "conntrack-destroy": .destroy
    default: nil
    }
}

/// Every problem of a `ctwatch events --json` stdout, checked on the bytes ctwatch wrote.
func eventOutputProblems(_ stdout: [UInt8]) -> [String] {
    JSONLineSchema.eventOutputProblems(stdout: stdout)
}

/// Every problem of a `ctwatch list --json` stdout, checked on the bytes ctwatch wrote.
func listOutputProblems(_ stdout: [UInt8]) -> [String] {
    JSONLineSchema.listOutputProblems(stdout: stdout)
}

/// The inode of a namespace file: two paths name the same namespace when they agree.
func namespaceInode(_ path: String) -> UInt64? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt64(info.st_ino)
}
