import Foundation
import TestSupport
import Testing

/// `ctwatch stuck` on a node whose Services kube-proxy writes in nftables mode
/// (a `kube-proxy` table with verdict maps instead of iptables chains): the
/// conntrack entries are the same, so the same flows are found and diagnosed.
@Suite("stuck with kube-proxy in nftables mode", .privileged)
struct NFTablesModeTests {
    static let callKinds = [false, true].flatMap { udp in [false, true].map { (udp, $0) } }

    @Test("bridge-nf off: the one stuck flow, DNAT'ed to B, blamed on the bridge-nf sysctl", arguments: callKinds)
    func bridgeNetfilterOff(udp: Bool, ipv6: Bool) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: .nftables) { bed in
            try await bed.bridgeNF(false)
            let call = try await bed.call(udp: udp, ipv6: ipv6)
            #expect(call.status != 0, "the call must time out with bridge-nf off: \(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")

            let (stuck, alert) = try await PerBridgeTests.oneAlert(bed, StuckIntegrationTests.kubeArguments)
            #expect(
                StuckIntegrationTests.value(alert, "network", "transport") as? String == (udp ? "udp" : "tcp"),
                "\(stuck.stdout)")
            #expect(
                StuckIntegrationTests.value(alert, "source", "ip") as? String
                    == (ipv6 ? "fd00:224:1::34" : "10.224.1.34"))
            #expect(StuckIntegrationTests.value(alert, "source", "port") as? Int == Int(port))
            #expect(
                StuckIntegrationTests.value(alert, "destination", "ip") as? String
                    == (ipv6 ? "fd00:233::172" : "10.233.53.172"))
            #expect(
                StuckIntegrationTests.value(alert, "destination", "nat", "ip") as? String
                    == (ipv6 ? "fd00:224:1::56" : "10.224.1.56"))
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "source", "pod", "name") as? String
                    == "frontend-7c9d8b5f4-x2x7p")
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "backend", "pod", "name") as? String
                    == "cart-5d6f7b8c9-k4m2n"
            )
            let code = ipv6 ? "bridge-nf-call-ip6tables-disabled" : "bridge-nf-call-iptables-disabled"
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "code") as? String == code, "\(stuck.stdout)"
            )
        }
    }

    @Test("sysctl 0, cni0's own option 1: calls work and nothing is stuck")
    func bridgeOptionOn() async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: .nftables) { bed in
            try await bed.bridgeNF(false)
            try await PerBridgeTests.bridgeOption(bed, true)
            for (udp, ipv6) in Self.callKinds {
                let call = try await bed.call(udp: udp, ipv6: ipv6)
                #expect(call.status == 0, "\(call)")
            }
            let stuck = try await StuckIntegrationTests.stuck(bed, ["--min-age", "0", "--json"])
            #expect(stuck.status == 0, "\(stuck)")
            #expect(stuck.stdout.isEmpty, "\(stuck)")
        }
    }

    @Test("bridge-nf off: a NodePort call from A to the bridge's address is found as a NodePort call")
    func nodePort() async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: .nftables) { bed in
            try await bed.bridgeNF(false)
            let call = try await bed.call(to: "nodeport")
            #expect(call.status != 0, "the call must time out with bridge-nf off: \(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")

            let (stuck, alert) = try await PerBridgeTests.oneAlert(bed, StuckIntegrationTests.kubeArguments)
            #expect(StuckIntegrationTests.value(alert, "source", "port") as? Int == Int(port))
            #expect(StuckIntegrationTests.value(alert, "destination", "ip") as? String == "10.224.1.1")
            #expect(StuckIntegrationTests.value(alert, "destination", "port") as? Int == 30081)
            #expect(StuckIntegrationTests.value(alert, "destination", "nat", "ip") as? String == "10.224.1.56")
            #expect(StuckIntegrationTests.value(alert, "ctwatch", "nodeport") as? Bool == true, "\(stuck.stdout)")
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "code") as? String
                    == "bridge-nf-call-iptables-disabled")
        }
    }
}
