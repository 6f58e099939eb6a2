import Foundation
import TestSupport
import Testing

/// Backends that are gone, on the real kernel, in both kube-proxy modes: a
/// Service endpoint no pod holds, a pod deleted under a UDP client that keeps
/// its source port, and entries left over from before bridge netfilter was
/// turned on. Each test brings up a test bed of its own.
@Suite("gone backends and left-overs on the real kernel", .privileged)
struct GoneBackendTests {
    typealias Stuck = StuckIntegrationTests

    static func code(_ alert: [String: Any]) -> String? {
        Stuck.value(alert, "ctwatch", "diagnosis", "code") as? String
    }

    static func backend(_ alert: [String: Any]) -> String? {
        Stuck.value(alert, "destination", "nat", "ip") as? String
    }

    /// The `conntrack -D ...` command at the end of a diagnosis' fix.
    static func deleteCommand(_ alert: [String: Any]) -> [String]? {
        guard let fix = Stuck.value(alert, "ctwatch", "diagnosis", "fix") as? String,
            let range = fix.range(of: "conntrack -D ")
        else { return nil }
        return fix[range.lowerBound...].split(separator: " ").map(String.init)
    }

    @Test(
        "a Service endpoint no pod holds: backend-unreachable, never the sysctl; a live backend beside it: the sysctl",
        arguments: TestBed.ProxyMode.allCases)
    func deadEndpoint(_ mode: TestBed.ProxyMode) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            // The live call's SYN_SENT entry is looked for again at the end: on a loaded machine the
            // polling below has taken longer than its default 120 s, and the entry was gone.
            let sysctl = try await bed.exec(
                .node, ["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_syn_sent=600"])
            try #require(sysctl.status == 0, "\(sysctl)")
            try await bed.bridgeNF(false)
            // A UDP client beside the call keeps the node asking ARP for 10.224.1.99, so its entry cycles
            // INCOMPLETE -> FAILED instead of being reaped by the neighbour GC while this test looks.
            try await bed.startUDPClient(sourcePort: 5300, to: "dead")
            #expect(try await bed.call(to: "dead", timeout: 1).status != 0)
            #expect(try await bed.call(to: "cluster", timeout: 1).status != 0)
            func tcp(_ alerts: [[String: Any]]) -> [[String: Any]] {
                alerts.filter { Stuck.value($0, "network", "transport") as? String == "tcp" }
            }
            let alerts = try await Poll.value(timeout: 60) { () -> [[String: Any]]? in
                let alerts = tcp(try Stuck.objects(try await Stuck.stuck(bed, ["--min-age", "0", "--json"])))
                let dead = alerts.first { Self.backend($0) == "10.224.1.99" }
                return dead.flatMap(Self.code) == "backend-unreachable" ? alerts : nil
            }
            try await bed.stopUDPClients()
            let found = try #require(alerts, "the dead endpoint was never diagnosed backend-unreachable")
            #expect(found.count == 2, "\(found)")
            let dead = try #require(found.first { Self.backend($0) == "10.224.1.99" })
            #expect(
                Stuck.value(dead, "event", "action") as? String == "dnat-stale-backend", "a gone backend comes first")
            let explanation = Stuck.value(dead, "ctwatch", "diagnosis", "explanation") as? String ?? ""
            // FAILED or INCOMPLETE: either names the address and ARP.
            #expect(explanation.contains("10.224.1.99 on cni0") && explanation.contains("ARP"), "\(explanation)")
            #expect(explanation.contains("the pod behind this endpoint is gone"), "\(explanation)")
            let live = try #require(found.first { Self.backend($0) == "10.224.1.56" })
            #expect(Self.code(live) == "bridge-nf-call-iptables-disabled", "B lives: the sysctl is the cause")
            // The fix's command deletes exactly the dead endpoint's TCP entries.
            let delete = try #require(Self.deleteCommand(dead))
            let deleted = try await bed.exec(.node, delete)
            #expect(deleted.status == 0, "\(deleted)")
            let after = tcp(try Stuck.objects(try await Stuck.stuck(bed, ["--min-age", "0", "--json"])))
            #expect(after.map(Self.backend) == ["10.224.1.56"], "\(after)")
        }
    }

    @Test("bridge-nf on, a dead endpoint: br_netfilter drops the call before conntrack keeps it, so nothing is stuck")
    func deadEndpointBridged() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            #expect(try await bed.call(to: "dead", timeout: 1).status != 0)
            let result = try await Stuck.stuck(bed, ["--min-age", "0", "--json"])
            #expect(
                result.status == 0 && result.stdout.isEmpty, "no entry exists, so nothing can be reported: \(result)")
        }
    }

    @Test(
        "a UDP client keeping its source port to a deleted pod: dnat-stale-backend though the entry has replies",
        arguments: TestBed.ProxyMode.allCases, [false, true])
    func staleUDP(_ mode: TestBed.ProxyMode, ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            let backend = ipv6 ? "fd00:224:1::56" : "10.224.1.56"
            try await bed.startUDPClient(sourcePort: 5353, ipv6: ipv6)
            // The client's entry, as conntrack lists it (polled without blocking a thread of the shared pool).
            func clientEntry() async throws -> ConntrackLine? {
                try await KernelPathsTests.entries(bed, ipv6: ipv6, ["-p", "udp", "--sport", "5353"]).first
            }
            let replied = try await Poll.eventually(timeout: 30) {
                let entry = try await clientEntry()
                return entry?.reply.source == backend && entry?.unreplied == false
            }
            #expect(replied, "the client's entry never got B's replies")
            let healthy = try await Stuck.stuck(bed, ["--min-age", "0", "--json"])
            #expect(healthy.status == 0 && healthy.stdout.isEmpty, "B lives: nothing to report: \(healthy)")
            try await bed.deletePod(.b)
            try await bed.repoint("cluster", to: [.c])
            // The bridge forgets B's MAC at once; the neighbour entry then goes stale, is probed and fails, and
            // cycles FAILED -> INCOMPLETE while the client sends: evidence at almost every moment, so poll.
            let result = try await Poll.value(timeout: 60) { () -> ProcessResult? in
                let result = try await Stuck.stuck(bed, ["--min-age", "0", "--json"])
                return result.status == 1 ? result : nil
            }
            let found = try #require(result, "the stale flow was never reported")
            let alerts = try Stuck.objects(found)
            #expect(alerts.count == 1, "\(found)")
            let stale = try #require(alerts.first)
            #expect(Stuck.value(stale, "event", "action") as? String == "dnat-stale-backend")
            #expect(Stuck.value(stale, "source", "port") as? Int == 5353)
            #expect(Self.backend(stale) == backend)
            #expect(Stuck.value(stale, "ctwatch", "conntrack", "seen_reply") as? Bool == true)
            #expect(Self.code(stale) == "backend-unreachable")
            let explanation = Stuck.value(stale, "ctwatch", "diagnosis", "explanation") as? String ?? ""
            #expect(explanation.contains("black-holed"), "\(explanation)")
            let text = try await Poll.value(timeout: 60) { () -> ProcessResult? in
                let text = try await Stuck.stuck(bed, ["--min-age", "0"])
                return text.stdout.contains("DNAT'ed to a backend that is gone") ? text : nil
            }
            #expect(text != nil, "the text table of gone backends never showed")
            // The fix: delete the stale entry; the client's next datagram follows the Service's new rule, to C.
            let delete = try #require(Self.deleteCommand(stale))
            #expect(try await bed.exec(.node, delete).status == 0)
            let moved = try await Poll.eventually(timeout: 30) {
                try await clientEntry()?.reply.source == (ipv6 ? "fd00:224:2::20" : "10.224.2.20")
            }
            #expect(moved, "after the fix the client's entry should go to C")
            let fixed = try await Stuck.stuck(bed, ["--min-age", "0", "--json"])
            #expect(fixed.status == 0 && fixed.stdout.isEmpty, "\(fixed)")
        }
    }

    @Test("--watch reports a stale flow once, and clears it when the entry is deleted")
    func staleWatch() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.startUDPClient(sourcePort: 5353)
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", bed.node, "--watch", "--json", "--min-age", "1", "--resync-interval", "1", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            try await bed.deletePod(.b)
            let reported = await watch.waitForStdout(timeout: 30) { Stuck.actions($0).contains("dnat-stale-backend") }
            #expect(reported, "the stale flow was not reported: \(watch.stdoutSoFar) \(watch.stderrSoFar)")
            try await bed.stopUDPClients()
            let delete = try await bed.exec(.node, ["conntrack", "-D", "-p", "udp", "--orig-port-src", "5353"])
            #expect(delete.status == 0, "\(delete)")
            let run = await watch.stopWhen(timeout: 30) { Stuck.actions($0).contains("dnat-stale-backend-cleared") }
            #expect(run.conditionMet, "\(run)")
            let lines = try Stuck.objects(run.result)
            let actions = lines.compactMap { Stuck.value($0, "event", "action") as? String }
            #expect(actions == ["dnat-stale-backend", "dnat-stale-backend-cleared"], "\(run.result)")
            // The entry predates the subscription: with nf_conntrack_events=2 it sends no DESTROY, and two dumps miss it.
            let reason = lines.last.flatMap { Stuck.value($0, "event", "reason") as? String }
            #expect(reason == "destroyed" || reason == "gone", "\(run.result)")
        }
    }

    @Test("an entry from before bridge-nf was turned on: said to predate the fix, with when it expires")
    func leftOver() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            #expect(try await bed.call(timeout: 1).status != 0)
            try await bed.bridgeNF(true)
            let result = try await Stuck.stuck(bed, ["--min-age", "0", "--json"])
            let alert = try #require(try Stuck.objects(result).first, "\(result)")
            #expect(Self.code(alert) == "unknown")
            let explanation = Stuck.value(alert, "ctwatch", "diagnosis", "explanation") as? String ?? ""
            #expect(explanation.contains("the entry predates the fix and expires in"), "\(explanation)")
            #expect(try await bed.call(timeout: 5).status == 0, "new calls work")
        }
    }

    @Test("--watch that saw bridge-nf turned on says so, and names an older flow a left-over of that time")
    func leftOverWatch() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            // The kernel's start time dates the flow before the watch's first read,
            // and the SYN_SENT entry outlives the 90 s --min-age below.
            let sysctls = try await bed.exec(
                .node,
                [
                    "sysctl", "-qw", "net.netfilter.nf_conntrack_timestamp=1",
                    "net.netfilter.nf_conntrack_tcp_timeout_syn_sent=600",
                ])
            try #require(sysctls.status == 0, "\(sysctls)")
            try await bed.bridgeNF(false)
            #expect(try await bed.call(timeout: 1).status != 0)
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", bed.node, "--watch", "--json", "--min-age", "90", "--resync-interval", "1", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            try await bed.bridgeNF(true)
            let noticed = await watch.waitForStderr(containing: "bridge netfilter was turned on for cni0", timeout: 30)
            #expect(noticed, "\(watch.stderrSoFar)")
            // Due 90 s after the call (the kernel's start time): after the switch was seen, on a busy machine too
            // (under load the steps before the flip have taken over 30 s).
            let run = await watch.stopWhen(timeout: 180) { Stuck.actions($0).contains("dnat-unreplied") }
            #expect(run.conditionMet, "\(run)")
            let alert = try #require(try Stuck.objects(run.result).first)
            #expect(Self.code(alert) == "unknown", "nothing is left to fix")
            let explanation = Stuck.value(alert, "ctwatch", "diagnosis", "explanation") as? String ?? ""
            #expect(explanation.contains("this watch saw it turned on between"), "\(explanation)")
            #expect(explanation.contains("It is a left-over of that time"), "\(explanation)")
        }
    }

    @Test("doctor with bridge-nf on: a port without hairpin warns, and its pod's call to its own Service hangs unseen")
    func hairpinPort() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            let healthy = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
            #expect(healthy.stdout.contains("[ok]    cni0 hairpin"), "\(healthy)")
            try await bed.setHairpin(false, port: "vB")
            let doctor = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
            #expect(doctor.status == 1, "\(doctor)")
            #expect(doctor.stdout.contains("[warn]  cni0 hairpin"), "\(doctor)")
            #expect(doctor.stdout.contains("off on 1 of 2 ports (vB)"), "\(doctor)")
            #expect(doctor.stdout.contains("fix: ip link set vB type bridge_slave hairpin on"), "\(doctor)")
            #expect(try await bed.call(from: .b, timeout: 2).status != 0, "B calling its own Service hangs")
            let stuck = try await Stuck.stuck(bed, ["--min-age", "0", "--json"])
            #expect(
                stuck.status == 0 && stuck.stdout.isEmpty, "the bridge dropped it before conntrack kept it: \(stuck)")
            try await bed.bridgeNF(false)
            let routed = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
            #expect(!routed.stdout.contains("cni0 hairpin"), "routed hairpin calls never consult the port: \(routed)")
        }
    }
}
