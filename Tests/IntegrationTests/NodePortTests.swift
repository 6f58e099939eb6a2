import Conntrack
import Foundation
import TestSupport
import Testing

/// A pod calling a NodePort on the node's bridge address (Scripts/testbed
/// `call --to nodeport`: 10.224.1.1:30081, DNAT'ed by KUBE-NODEPORTS to pod B)
/// hangs like a ClusterIP call when bridge-nf is off, and `stuck` finds it
/// although its destination lies inside the bridge subnet.
@Suite("stuck finds NodePort calls on the real kernel", .privileged)
struct NodePortTests {
    static func value(_ object: [String: Any], _ path: String...) -> Any? {
        var current: Any? = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }

    @Test("bridge-nf off: the NodePort call from A hangs and is reported with the pods and the bridge-nf diagnosis")
    func bridgeNetfilterOff() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let call = try await bed.call(to: "nodeport")
            #expect(call.status != 0, "the call must time out with bridge-nf off: \(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")

            // Subnets discovered, no --service-cidr: the bridge's address is inside the only subnet.
            let result = try await CTWatchBinary.run(
                ["stuck", "--netns", bed.node, "--min-age", "0", "--json"]
                    + StuckIntegrationTests.kubeArguments, timeout: 90)
            #expect(result.status == 1, "exit 1 means stuck flows were found: \(result)")
            let alerts = try StuckIntegrationTests.objects(result)
            try #require(alerts.count == 1, "\(result.stdout)")
            let alert = alerts[0]
            #expect(Self.value(alert, "event", "action") as? String == "dnat-unreplied")
            #expect(Self.value(alert, "source", "ip") as? String == "10.224.1.34")
            #expect(Self.value(alert, "source", "port") as? Int == Int(port))
            #expect(Self.value(alert, "destination", "ip") as? String == "10.224.1.1")
            #expect(Self.value(alert, "destination", "port") as? Int == 30081)
            #expect(Self.value(alert, "destination", "nat", "ip") as? String == "10.224.1.56")
            #expect(Self.value(alert, "ctwatch", "nodeport") as? Bool == true)
            #expect((Self.value(alert, "message") as? String)?.contains("NodePort") == true, "\(result.stdout)")
            #expect(Self.value(alert, "ctwatch", "source", "pod", "name") as? String == "frontend-7c9d8b5f4-x2x7p")
            #expect(Self.value(alert, "ctwatch", "backend", "pod", "name") as? String == "cart-5d6f7b8c9-k4m2n")
            #expect(Self.value(alert, "ctwatch", "diagnosis", "code") as? String == "bridge-nf-call-iptables-disabled")
            // The alert names the kernel's entry: conntrack lists the call under the same id.
            let table = try await bed.exec(
                .node, ["conntrack", "-L", "-o", "id", "-p", "tcp", "--sport", String(port)])
            let entries = ConntrackLine.entries(table.stdout)
            try #require(entries.count == 1, "\(table)")
            let entryID = try #require(entries[0].id, "\(table)")
            #expect(entries[0].unreplied && entries[0].reply.source == "10.224.1.56", "\(table)")
            #expect(Self.value(alert, "ctwatch", "conntrack", "id") as? Int == Int(entryID), "\(table.stdout)")

            let text = try await CTWatchBinary.run(
                ["stuck", "--netns", bed.node, "--cidr", "10.224.1.0/24", "--min-age", "0"], timeout: 90)
            #expect(text.status == 1, "\(text)")
            #expect(text.stdout.contains("NodePort 10.224.1.1:30081"), "\(text.stdout)")
            #expect(text.stdout.contains("bridge-nf-call-iptables-disabled"))
        }
    }

    @Test("IPv6: the NodePort call to the bridge's fd00:224:1::1 is reported with the ip6tables diagnosis")
    func ipv6() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let call = try await bed.call(to: "nodeport", ipv6: true)
            #expect(call.status != 0, "the call must time out with bridge-nf off: \(call)")
            let result = try await CTWatchBinary.run(
                ["stuck", "--netns", bed.node, "--min-age", "0", "--json"] + StuckIntegrationTests.kubeArguments,
                timeout: 90)
            #expect(result.status == 1, "\(result)")
            let alerts = try StuckIntegrationTests.objects(result)
            try #require(alerts.count == 1, "\(result.stdout)")
            #expect(Self.value(alerts[0], "destination", "ip") as? String == "fd00:224:1::1")
            #expect(Self.value(alerts[0], "destination", "nat", "ip") as? String == "fd00:224:1::56")
            #expect(Self.value(alerts[0], "ctwatch", "nodeport") as? Bool == true)
            #expect(Self.value(alerts[0], "ctwatch", "source", "pod", "name") as? String == "frontend-7c9d8b5f4-x2x7p")
            #expect(
                Self.value(alerts[0], "ctwatch", "diagnosis", "code") as? String == "bridge-nf-call-ip6tables-disabled")
        }
    }

    @Test("bridge-nf on: the NodePort call succeeds and nothing is reported")
    func bridgeNetfilterOn() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            let call = try await bed.call(to: "nodeport")
            #expect(call.status == 0, "\(call)")
            let result = try await CTWatchBinary.run(
                ["stuck", "--netns", bed.node, "--min-age", "0", "--json"], timeout: 90)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.isEmpty)
        }
    }
}
