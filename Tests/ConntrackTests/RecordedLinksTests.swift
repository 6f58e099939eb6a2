import Foundation
import Testing

@testable import Conntrack

/// Decoding a links dump the kernel really sent: `links.bin` is what
/// `record-links.py` received in a scratch namespace holding `br-on`
/// (nf_call_iptables 1, nf_call_ip6tables 0), `br-off` (both 0, the default),
/// `br-v6` (nf_call_ip6tables 1 only) and the veth pair `veth-a`/`veth-b`.
@Suite("Recorded rtnetlink links")
struct RecordedLinksTests {
    static func links() throws -> [String: NetworkInterface] {
        let url = try #require(
            Bundle.module.url(forResource: "links", withExtension: "bin", subdirectory: "Fixtures/netlink"))
        let links = try Requests.links(netlinkMessages: Array(Data(contentsOf: url)))
        return Dictionary(links.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test("each bridge's own nf_call_iptables / nf_call_ip6tables options are read")
    func bridgeOptions() throws {
        let links = try Self.links()
        #expect(links["br-on"]?.bridgeNetfilter == BridgeNetfilterOptions(callIPTables: true, callIP6Tables: false))
        #expect(links["br-off"]?.bridgeNetfilter == BridgeNetfilterOptions(callIPTables: false, callIP6Tables: false))
        #expect(links["br-v6"]?.bridgeNetfilter == BridgeNetfilterOptions(callIPTables: false, callIP6Tables: true))
        #expect(links["br-on"]?.isBridge == true)
        #expect(links["br-v6"]?.bridgeNetfilter?.calls(.ipv6) == true)
        #expect(links["br-v6"]?.bridgeNetfilter?.calls(.ipv4) == false)
    }

    @Test("links that are not bridges have no bridge options (their IFLA_INFO_DATA means other things)")
    func otherLinks() throws {
        let links = try Self.links()
        #expect(links.count == 6, "lo, three bridges, two veths: \(links.keys.sorted())")
        #expect(links["veth-a"]?.kind == "veth" && links["veth-a"]?.bridgeNetfilter == nil)
        #expect(links["lo"]?.kind == "" && links["lo"]?.bridgeNetfilter == nil)
    }
}
