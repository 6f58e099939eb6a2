import Conntrack
import Foundation
import TestSupport
import Testing

/// Real connections through the test bed's DNAT rule, watched with the library.
/// Each test builds its own bed (namespaces `ctwt<pid>x<n>-*`) and removes it.
@Suite("Events through the DNAT rule", .privileged)
struct EventIntegrationTests {
    @Test(
        "A TCP call through the ClusterIP gives NEW, UPDATEs and DESTROY with the right tuples, states and bits",
        arguments: [false, true])
    func tcpThroughDNAT(ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with { bed in

            let conntrack = try Conntrack(namespace: .named(bed.node))
            let recorder = EventRecorder(try conntrack.subscribe())
            let call = try await bed.call(ipv6: ipv6)
            #expect(call.status == 0, "\(call)")
            #expect(call.stdout.contains("hello from b"))

            let sawTimeWait = await recorder.wait { events in
                events.contains {
                    $0.kind == .update && $0.isCallToCluster(ipv6: ipv6) && $0.flow.tcpState == .timeWait
                }
            }
            #expect(sawTimeWait, "no TIME_WAIT update; events: \(recorder.events.map(\.flow))")
            let flowEvents = recorder.events.filter { $0.isCallToCluster(ipv6: ipv6) }
            let new = try #require(flowEvents.first, "no event for the call")
            #expect(new.kind == .new)

            // NEW: the SYN, DNAT'ed, nothing seen back yet.
            let sourcePort = new.flow.original.sourcePort
            let id = try #require(new.flow.id)
            #expect(new.flow.family == (ipv6 ? .ipv6 : .ipv4))
            #expect(new.flow.tcpState == .synSent)
            #expect(new.flow.status.contains(.dstNAT))
            #expect(new.flow.status.contains(.confirmed))
            #expect(!new.flow.status.contains(.seenReply))
            #expect(!new.flow.status.contains(.assured))
            #expect(new.flow.isDestinationNATed && new.flow.isUnreplied && !new.flow.isSourceNATed)
            #expect(
                new.flow.reply
                    == Tuple(
                        source: Bed.podB(ipv6), destination: Bed.podA(ipv6),
                        sourcePort: Bed.servicePort, destinationPort: sourcePort))
            #expect(new.flow.timeout == 120)

            // UPDATEs: the same entry moving through the handshake and the close.
            let updates = flowEvents.dropFirst().filter { $0.kind == .update }
            #expect(
                updates.allSatisfy {
                    $0.flow.id == id && $0.flow.original == new.flow.original && $0.flow.reply == new.flow.reply
                })
            let states = updates.compactMap(\.flow.tcpState)
            let synRecv = try #require(states.firstIndex(of: .synRecv), "states: \(states)")
            let established = try #require(states.firstIndex(of: .established), "states: \(states)")
            let timeWait = try #require(states.firstIndex(of: .timeWait), "states: \(states)")
            #expect(synRecv < established && established < timeWait)
            let synRecvFlow = updates[updates.startIndex + synRecv].flow
            #expect(synRecvFlow.status.contains(.seenReply) && !synRecvFlow.status.contains(.assured))
            let establishedFlow = updates[updates.startIndex + established].flow
            #expect(establishedFlow.status.isSuperset(of: [.seenReply, .assured, .confirmed, .dstNAT]))
            #expect(!establishedFlow.isUnreplied)

            // DESTROY: the TIME_WAIT entry would live 120 s; delete it in the bed's node namespace.
            let delete = try await bed.exec(
                .node,
                [
                    "conntrack", "-D", "-f", ipv6 ? "ipv6" : "ipv4", "-p", "tcp",
                    "--orig-port-src", String(sourcePort), "--orig-port-dst", "8080",
                ])
            #expect(delete.status == 0, "\(delete)")
            let sawDestroy = await recorder.wait { events in events.contains { $0.kind == .destroy && $0.flow.id == id }
            }
            #expect(sawDestroy)
            let destroy = try #require(recorder.events.first { $0.kind == .destroy && $0.flow.id == id })
            #expect(destroy.flow.original == new.flow.original)
            #expect(destroy.flow.reply == new.flow.reply)
            #expect(destroy.flow.tcpState == .timeWait)
            #expect(destroy.flow.status.isSuperset(of: [.seenReply, .assured, .dstNAT, .dying]))
            #expect(destroy.received >= new.received)
            #expect(recorder.losses.isEmpty)
            await recorder.stop()
        }
    }

    @Test("A namespace given as /proc/PID/ns/net sees what its name sees")
    func namespacePath() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            // Both entries must outlive the test on a busy machine (a UDP exchange's entry lasts 30 s by default).
            let timeouts = try await bed.exec(
                .node,
                [
                    "sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=600",
                    "net.netfilter.nf_conntrack_tcp_timeout_time_wait=600",
                ])
            try #require(timeouts.status == 0, "\(timeouts)")

            // A process living in the node namespace: its /proc/PID/ns/net names it.
            let sleeper = try bed.start(.node, ["sleep", "300"])
            defer { sleeper.signal(SIGKILL) }
            let path = "/proc/\(sleeper.pid)/ns/net"
            let entered = await Poll.until(timeout: 30) {
                namespaceInode(path) != nil && namespaceInode(path) == namespaceInode("/run/netns/\(bed.node)")
            }
            try #require(entered, "\(path) never became \(bed.node)")

            let byName = try Conntrack(namespace: .named(bed.node))
            let byPath = try Conntrack(namespace: NetworkNamespace(argument: path))
            #expect(byPath.namespace == .path(path))
            let nameRecorder = EventRecorder(try byName.subscribe())
            let pathRecorder = EventRecorder(try byPath.subscribe())

            let call = try await bed.call()
            #expect(call.status == 0, "\(call)")
            let udp = try await bed.call(udp: true)
            #expect(udp.status == 0, "\(udp)")
            func done(_ events: [ConntrackEvent]) -> Bool {
                events.contains { $0.isCallToCluster(ipv6: false) && $0.flow.tcpState == .timeWait }
                    && events.contains { $0.isCallToCluster(ipv6: false, transport: .udp) && !$0.flow.isUnreplied }
            }
            #expect(await nameRecorder.wait(until: done))
            #expect(await pathRecorder.wait(until: done))
            // Only the calls' entries: the node's own traffic (an IGMP report, say) may start
            // between the two subscriptions.
            func ours(_ events: [ConntrackEvent]) -> [ConntrackEvent] {
                events.filter { $0.isCallToCluster(ipv6: false) || $0.isCallToCluster(ipv6: false, transport: .udp) }
            }
            func summary(_ events: [ConntrackEvent]) -> [String] {
                ours(events).map {
                    "\($0.kind.tag) \($0.flow.id ?? 0) \($0.flow.tcpState.map(String.init(describing:)) ?? "-") \($0.flow.status.rawValue)"
                }
            }
            // As multisets: an entry's events raised at once on two CPUs can reach two sockets
            // in opposite orders (the kernel broadcasts to one socket after the other).
            func multiset(_ events: [ConntrackEvent]) -> [Flow: Int] {
                ours(events).reduce(into: [:]) { counts, event in counts[event.flow, default: 0] += 1 }
            }
            #expect(ours(nameRecorder.events).count >= 8)
            #expect(summary(pathRecorder.events).sorted() == summary(nameRecorder.events).sorted())
            #expect(multiset(pathRecorder.events) == multiset(nameRecorder.events))

            // Dumps agree too (pod A's entries): the library, and the binary in both spellings.
            let podA = Bed.podA(false)
            let namedKeys = Set(try byName.dump().filter { $0.original.source == podA }.map(\.key))
            let pathKeys = Set(try byPath.dump().filter { $0.original.source == podA }.map(\.key))
            #expect(namedKeys.count == 2)
            #expect(namedKeys == pathKeys)
            let listByName = try await CTWatchBinary.run(["list", "--netns", bed.node, "--json", "--src", "\(podA)/32"])
            let listByPath = try await CTWatchBinary.run(["list", "--netns", path, "--json", "--src", "\(podA)/32"])
            #expect(listByName.status == 0 && listByPath.status == 0, "\(listByName)\n\(listByPath)")
            for list in [listByName, listByPath] {
                #expect(listOutputProblems(list.stdoutBytes).isEmpty, "\(listOutputProblems(list.stdoutBytes))")
            }
            func ids(_ output: [UInt8]) -> Set<UInt64> { Set(conntrackIDs(jsonValues(output))) }
            #expect(ids(listByName.stdoutBytes).count == 2)
            #expect(ids(listByName.stdoutBytes) == ids(listByPath.stdoutBytes))
            // conntrack itself, in the node's namespace, lists pod A's two entries as ctwatch printed them.
            let table = try await bed.exec(.node, ["conntrack", "-L", "-o", "id", "-s", podA.description])
            #expect(table.status == 0, "\(table)")
            let tableIDs = Set(ConntrackLine.entries(table.stdout).compactMap { $0.id.map(UInt64.init) })
            #expect(tableIDs == ids(listByPath.stdoutBytes), "\(table.stdout)")
            let mismatches = JSONLineSchema.conntrackProblems(
                jsonValues(listByPath.stdoutBytes), conntrackOutput: table.stdout)
            #expect(mismatches.isEmpty, "\(mismatches)")
            #expect(Set(namedKeys.map { UInt64($0.id) }) == ids(listByPath.stdoutBytes))
            await nameRecorder.stop()
            await pathRecorder.stop()
        }
    }
}
