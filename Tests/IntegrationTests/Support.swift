import Conntrack
import Foundation
import Synchronization
import Testing
import TestSupport

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

/// Lines of a ctwatch JSON output, each with its `\n`.
func jsonLines(_ output: String) -> [[UInt8]] {
    output.split(separator: "\n", omittingEmptySubsequences: true).map { Array($0.utf8) + [0x0a] }
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

/// Every schema problem of a `ctwatch events --json` output.
func eventOutputProblems(_ output: String) -> [String] {
    jsonLines(output).flatMap { line -> [String] in
        var problems = JSONLineSchema.selfConsistencyProblems(line)
        if let value = try? StrictJSON.parse(line) {
            if let kind = eventKind(value) {
                problems += JSONLineSchema.eventProblems(value, kind: kind)
            } else {
                problems.append("not a conntrack event: \(value[path: "event", "action"].map(\.description) ?? "no event.action")")
            }
        } else {
            problems.append("not strict JSON")
        }
        return problems.map { "\($0)\n  in \(String(decoding: line, as: UTF8.self))" }
    }
}

/// The inode of a namespace file: two paths name the same namespace when they agree.
func namespaceInode(_ path: String) -> UInt64? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt64(info.st_ino)
}
