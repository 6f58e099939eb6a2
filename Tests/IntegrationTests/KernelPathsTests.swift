import Foundation
import TestSupport
import Testing

/// The kernel behaviour `stuck` and `doctor` base their diagnosis on, checked on
/// the real kernel in a test bed with kube-proxy-shaped Services (both of
/// kube-proxy's modes): where an entry exists and where none can, what the
/// neighbour table and the bridge's forwarding table say when a pod is gone,
/// and how a UDP client with a fixed source port keeps a stale entry alive.
@Suite("the kernel paths behind the diagnosis", .privileged)
struct KernelPathsTests {
    static let modes = TestBed.ProxyMode.allCases
    static let modesAndFamilies = modes.flatMap { mode in [false, true].map { (mode, $0) } }

    static func deadBackend(_ ipv6: Bool) -> String { ipv6 ? "fd00:224:1::99" : "10.224.1.99" }
    static func deadServiceIP(_ ipv6: Bool) -> String { ipv6 ? "fd00:233::174" : "10.233.53.174" }
    static func podB(_ ipv6: Bool) -> String { ipv6 ? "fd00:224:1::56" : "10.224.1.56" }
    static func clusterIP(_ ipv6: Bool) -> String { ipv6 ? "fd00:233::172" : "10.233.53.172" }

    /// The node's conntrack entries `conntrack -L` selects with `filter` (e.g. `-d ADDRESS`).
    static func entries(_ bed: TestBed, ipv6: Bool, _ filter: [String]) async throws -> [ConntrackLine] {
        let family = ipv6 ? ["-f", "ipv6"] : []
        let result = try await bed.exec(.node, ["conntrack", "-L", "-o", "id"] + family + filter)
        try #require(result.status == 0, "\(result)")
        return ConntrackLine.entries(result.stdout)
    }

    /// The state word of the node's neighbour entry for `address` (`REACHABLE`,
    /// `INCOMPLETE`, `FAILED`...), nil when there is no entry.
    static func neighbourState(_ bed: TestBed, _ address: String) async throws -> String? {
        let result = try await bed.exec(.node, ["ip", "neigh", "show", address])
        try #require(result.status == 0, "\(result)")
        return result.stdoutLines.first.flatMap { $0.split(separator: " ").last.map(String.init) }
    }

    /// Whether cni0's forwarding table holds `mac` on some port.
    static func bridgeKnows(_ bed: TestBed, _ mac: String) async throws -> Bool {
        let result = try await bed.exec(.node, ["bridge", "fdb", "show", "br", "cni0"])
        try #require(result.status == 0, "\(result)")
        return result.stdoutLines.contains { $0.lowercased().hasPrefix(mac.lowercased() + " ") }
    }

    @Test(
        "bridge-nf off, a Service whose endpoint no pod holds: an UNREPLIED entry DNAT'ed to it, its neighbour INCOMPLETE or FAILED",
        arguments: modesAndFamilies)
    func deadEndpointBridgeNetfilterOff(_ mode: TestBed.ProxyMode, _ ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            try await bed.bridgeNF(false)
            // Watched while a client keeps sending to it (every 0.2 s): a FAILED entry nobody holds can be
            // reaped soon after when the neighbour table (one for all namespaces) is past gc_thresh1, and
            // the client's traffic makes the node ask again, however slowly this loop polls.
            try await bed.startUDPClient(sourcePort: 5300, to: "dead", ipv6: ipv6)
            var states: [String] = []
            let unresolved = try await Poll.eventually(timeout: 60) {
                if let state = try await Self.neighbourState(bed, Self.deadBackend(ipv6)), states.last != state {
                    states.append(state)
                }
                return states.contains("INCOMPLETE") || states.contains("FAILED")
            }
            try await bed.stopUDPClients()
            #expect(unresolved, "the node's neighbour entry for the dead endpoint went through \(states)")
            let call = try await bed.call(to: "dead", ipv6: ipv6)
            #expect(call.status != 0, "\(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")

            let table = try await Self.entries(bed, ipv6: ipv6, ["-d", Self.deadServiceIP(ipv6)])
            let entry = try #require(table.first { $0.original.sourcePort == port }, "\(table)")
            #expect(entry.unreplied, "\(entry)")
            #expect(entry.reply.source == Self.deadBackend(ipv6), "DNAT'ed to the stale endpoint: \(entry)")
        }
    }

    @Test(
        "bridge-nf on, a Service whose endpoint no pod holds: the call fails and leaves no entry at all",
        arguments: modesAndFamilies)
    func deadEndpointBridgeNetfilterOn(_ mode: TestBed.ProxyMode, _ ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            for udp in [false, true] {
                let call = try await bed.call(to: "dead", udp: udp, ipv6: ipv6)
                #expect(call.status != 0, "\(call)")
            }
            // Both calls waited out their timeout: an entry would have been confirmed by now.
            let table = try await Self.entries(bed, ipv6: ipv6, ["-d", Self.deadServiceIP(ipv6)])
            #expect(table.isEmpty, "br_netfilter drops the frame before the entry is confirmed: \(table)")
            let towardBackend = try await Self.entries(bed, ipv6: ipv6, ["--reply-src", Self.deadBackend(ipv6)])
            #expect(towardBackend.isEmpty, "\(towardBackend)")
        }
    }

    @Test(
        "bridge-nf on, a pod calling its own Service: without hairpin on its port the call fails and leaves no entry; with it, it works",
        arguments: modesAndFamilies)
    func hairpinBridgeNetfilterOn(_ mode: TestBed.ProxyMode, _ ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            let modes = try await bed.setHairpin(false, port: "vB")
            #expect(modes == ["vB": false], "\(modes)")
            let call = try await bed.call(from: .b, ipv6: ipv6)
            #expect(call.status != 0, "\(call)")
            let table = try await Self.entries(bed, ipv6: ipv6, ["-s", Self.podB(ipv6), "-d", Self.clusterIP(ipv6)])
            #expect(table.isEmpty, "the bridge drops the frame before the entry is confirmed: \(table)")

            try await bed.setHairpin(true, port: "vB")
            let hairpin = try await bed.call(from: .b, ipv6: ipv6)
            #expect(hairpin.status == 0, "\(hairpin)")
            let after = try await Self.entries(bed, ipv6: ipv6, ["-s", Self.podB(ipv6), "-d", Self.clusterIP(ipv6)])
            #expect(after.count == 1 && !after[0].unreplied, "\(after)")
            #expect(
                after.first?.reply.destination != Self.podB(ipv6), "kube-proxy's rules masquerade hairpin: \(after)")
        }
    }

    @Test(
        "bridge-nf on, hairpin off: a promiscuous cni0 does not make the hairpin call work (it still fails with no entry)",
        arguments: modesAndFamilies)
    func promiscuousBridgeIsNoHairpin(_ mode: TestBed.ProxyMode, _ ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            try await bed.setHairpin(false, port: "vB")
            let promiscuity = try await bed.setBridgePromiscuous(true)
            #expect(promiscuity >= 1, "cni0 promiscuity \(promiscuity)")
            let call = try await bed.call(from: .b, ipv6: ipv6)
            #expect(
                call.status != 0, "a promiscuous bridge passes a copy up, it does not send the frame back out: \(call)")
            let table = try await Self.entries(bed, ipv6: ipv6, ["-s", Self.podB(ipv6), "-d", Self.clusterIP(ipv6)])
            #expect(table.isEmpty, "\(table)")
            try await bed.setBridgePromiscuous(false)
            try await bed.setHairpin(true, port: "vB")
            #expect(try await bed.call(from: .b, ipv6: ipv6).status == 0)
        }
    }

    @Test(
        "a deleted pod: its MAC leaves cni0's forwarding table at once, its neighbour entry still says it is there",
        arguments: modes)
    func deletedPodLeavesTheBridgeFirst(_ mode: TestBed.ProxyMode) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            let call = try await bed.call()
            #expect(call.status == 0, "\(call)")
            let address = try await bed.exec(.b, ["cat", "/sys/class/net/eth0/address"])
            let mac = address.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(!mac.isEmpty, "\(address)")
            #expect(try await Self.bridgeKnows(bed, mac), "B's MAC on vB before the delete")
            let before = try await Self.neighbourState(bed, Self.podB(false))
            #expect(before == "REACHABLE" || before == "STALE" || before == "DELAY", "\(before ?? "none")")

            try await bed.deletePod(.b)
            #expect(!(try await Self.bridgeKnows(bed, mac)), "the port went with the veth, and its MACs with it")
            let after = try await Self.neighbourState(bed, Self.podB(false))
            #expect(
                ["REACHABLE", "STALE", "DELAY", "PROBE"].contains(after ?? ""),
                "the neighbour table has not noticed yet: \(after ?? "none")")
        }
    }

    /// staleUDPEntryIsRefreshed runs with bridge-nf on, so the node sees B's replies: with it
    /// off the replies bypass the node and the entry never leaves UNREPLIED.
    @Test(
        "a UDP client keeping its source port: its entry stays DNAT'ed to a deleted pod, replied, and refreshed by every datagram",
        arguments: modesAndFamilies)
    func staleUDPEntryIsRefreshed(_ mode: TestBed.ProxyMode, _ ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            // Packet counters tell a refreshed entry from one merely not yet expired.
            let acct = try await bed.exec(.node, ["sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1"])
            try #require(acct.status == 0, "\(acct)")
            let sourcePort: UInt16 = 5353
            try await bed.startUDPClient(sourcePort: sourcePort, ipv6: ipv6)
            // The client runs until the bed's `down()`, which ends every process in its namespaces.
            let filter = ["-p", "udp", "--sport", String(sourcePort)]

            var table: [ConntrackLine] = []
            let replied = try await Poll.eventually {
                table = try await Self.entries(bed, ipv6: ipv6, filter)
                return table.count == 1 && !table[0].unreplied
            }
            try #require(replied, "B answers the client: \(table)")
            let first = table[0]
            #expect(first.reply.source == Self.podB(ipv6), "\(first)")

            try await bed.deletePod(.b)
            try await bed.repoint("cluster", to: [.c])
            let fresh = try await bed.call(udp: true, ipv6: ipv6)
            #expect(fresh.stdout.contains("echo from c"), "a new flow goes to C: \(fresh)")
            let sentAtDelete = first.original.packets ?? 0
            let keptSending = try await Poll.eventually {
                table = try await Self.entries(bed, ipv6: ipv6, filter)
                return table.count == 1 && (table[0].original.packets ?? 0) >= sentAtDelete + 30
            }
            try #require(keptSending, "the client keeps sending into the same entry: \(table)")
            let entry = table[0]
            #expect(entry.id == first.id, "the same entry, never replaced: \(first) then \(entry)")
            #expect(entry.reply.source == Self.podB(ipv6), "still DNAT'ed to the deleted pod: \(entry)")
            #expect(!entry.unreplied, "SEEN_REPLY stays once set: \(entry)")
            // Renewed by every datagram: far from the end of its UDP timeout (120 s assured, 30 s not).
            #expect((entry.timeout ?? 0) >= (entry.assured ? 100 : 20), "\(entry)")

            // The node keeps asking for the gone pod's address (every datagram is routed to it),
            // so its neighbour entry ends INCOMPLETE or FAILED; the entry lives on all the while.
            var states: [String] = []
            let unresolved = try await Poll.eventually(timeout: 150) {
                if let state = try await Self.neighbourState(bed, Self.podB(ipv6)), states.last != state {
                    states.append(state)
                }
                return states.contains("INCOMPLETE") || states.contains("FAILED")
            }
            #expect(unresolved, "the deleted pod's neighbour entry went through \(states)")
            table = try await Self.entries(bed, ipv6: ipv6, filter)
            #expect(table.count == 1 && table.first?.id == first.id, "\(first) then \(table)")
            #expect(table.first?.reply.source == Self.podB(ipv6), "\(table)")
        }
    }

    @Test("repoint: two endpoints share a Service's new calls at random; one endpoint takes them all", arguments: modes)
    func repointSpreadsAndMoves(_ mode: TestBed.ProxyMode) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            try await bed.repoint("cluster", to: [.b, .c])
            var answered: Set<String> = []
            let both = try await Poll.eventually {
                let call = try await bed.call(count: 10)
                for line in call.stdout.split(separator: "\n") where line.hasPrefix("hello from ") {
                    answered.insert(String(line.dropFirst("hello from ".count)))
                }
                return answered == ["b", "c"]
            }
            #expect(both, "answered by \(answered)")

            try await bed.repoint("cluster", to: [.c])
            for ipv6 in [false, true] {
                let call = try await bed.call(ipv6: ipv6, count: 10)
                #expect(call.status == 0 && !call.stdout.contains("hello from b"), "\(call)")
            }
        }
    }
}
