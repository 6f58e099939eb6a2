import Conntrack
import Foundation
import TestSupport
import Testing

/// The handle's reads besides dumps and events: statistics, interfaces,
/// sysctls, each answered for the namespace it was opened in.
@Suite("Conntrack handle reads on the real kernel", .privileged)
struct LibraryKernelTests {
    @Test("statistics count the namespace's own entries, one record per CPU")
    func statistics() async throws {
        try Privilege.require()
        let ctload = try await OverrunTests.ctload()
        try await ScratchNamespace.with { name in
            let conntrack = try Conntrack(namespace: .named(name))
            #expect(try conntrack.statistics().entries == 0)
            let insert = try await Subprocess.run("ip", ["netns", "exec", name, ctload, "insert", "250"], timeout: 60)
            #expect(insert.status == 0, "\(insert)")
            let stats = try conntrack.statistics()
            #expect(stats.entries == 250)
            #expect((stats.maxEntries ?? 0) > 250)
            #expect(stats.perCPU.count == ProcessInfo.processInfo.activeProcessorCount)
            #expect(Set(stats.perCPU.map(\.cpu)).count == stats.perCPU.count)
            #expect(try conntrack.dump().count == 250)
        }
    }

    @Test("interfaces and sysctls are the namespace's, not the caller's")
    func interfacesAndSysctls() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let node = try Conntrack(namespace: .named(bed.node))
            let bridge = try #require(try node.interfaces().first { $0.name == "cni0" })
            #expect(bridge.isBridge)
            let subnets = Set(bridge.addresses.map(\.subnet.description))
            #expect(subnets.isSuperset(of: ["10.224.1.0/24", "fd00:224:1::/64"]), "\(subnets)")
            let values = try node.sysctls([
                "net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_forward", "net.no.such.sysctl",
            ])
            #expect(values["net.bridge.bridge-nf-call-iptables"] == "0")
            #expect(values["net.ipv4.ip_forward"] == "1")
            #expect(values["net.no.such.sysctl"] == nil)
            // The caller's own namespace keeps its own value: the read entered the node's and came back.
            let own = try Conntrack().sysctls(["net.ipv4.ip_forward"])["net.ipv4.ip_forward"]
            let rootForward = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(own == rootForward)
        }
    }
}
