import Foundation
import Testing

@testable import Conntrack

/// Decoding neighbour, forwarding-database and link dumps the kernel really
/// sent, recorded by `record-neighbours.sh` in one namespace: bridge `br0`
/// (promisc on, 02:00:00:00:00:01) with port `port-pod` (hairpin on) to a pod
/// holding 10.9.0.2 / fd09::2 (02:00:00:00:00:02), and port `port-idle`
/// (hairpin off) to `idle-peer`, an unaddressed veth of the same namespace.
/// 10.9.0.99 was asked until FAILED, 10.9.0.98 once (INCOMPLETE).
/// The `*.txt` files beside them are what `ip neigh`, `bridge fdb` and
/// `ip -d link` printed at the same moment.
@Suite("Recorded rtnetlink neighbours, forwarding entries and bridge ports")
struct RecordedNeighboursTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Fixtures/netlink"))
        return Array(try Data(contentsOf: url))
    }

    static func links() throws -> [String: NetworkInterface] {
        let links = try Requests.links(netlinkMessages: fixture("bridge-ports-links"))
        return Dictionary(links.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func index(_ name: String) throws -> Int { try #require(try links()[name]?.index, "no link \(name)") }

    static func neighbours() throws -> [IPAddress: Neighbour] {
        let neighbours = try Requests.neighbours(netlinkMessages: fixture("neighbours"))
        return Dictionary(neighbours.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static let podMAC = LinkAddress([0x02, 0, 0, 0, 0, 0x02])

    @Test("a REACHABLE IPv4 entry carries the MAC that answered")
    func reachableIPv4() throws {
        let entry = try #require(try Self.neighbours()[IPAddress("10.9.0.2")!])
        #expect(entry.state == .reachable)
        #expect(entry.linkAddress == Self.podMAC)
        #expect(entry.linkAddress?.description == "02:00:00:00:00:02")
        #expect(entry.interfaceIndex == (try Self.index("br0")))
    }

    @Test("an IPv6 entry comes in the same dump as the IPv4 ones")
    func reachableIPv6() throws {
        let entry = try #require(try Self.neighbours()[IPAddress("fd09::2")!])
        #expect(entry.address.family == .ipv6)
        #expect(entry.state == .reachable)
        #expect(entry.linkAddress == Self.podMAC)
        #expect(entry.interfaceIndex == (try Self.index("br0")))
    }

    @Test("unanswered addresses are FAILED or INCOMPLETE and have no link-layer address")
    func unresolved() throws {
        let neighbours = try Self.neighbours()
        let failed = try #require(neighbours[IPAddress("10.9.0.99")!])
        #expect(failed.state == .failed && failed.state.description == "FAILED")
        #expect(failed.linkAddress == nil)
        let incomplete = try #require(neighbours[IPAddress("10.9.0.98")!])
        #expect(incomplete.state == .incomplete && incomplete.state.description == "INCOMPLETE")
        #expect(incomplete.linkAddress == nil)
    }

    @Test("every entry says how long ago it last changed state, in seconds (NDA_CACHEINFO's ticks)")
    func sinceUpdate() throws {
        let neighbours = try Self.neighbours().values.filter { !$0.state.contains(.noARP) }
        #expect(!neighbours.isEmpty)
        for neighbour in neighbours {
            let seconds = try #require(neighbour.secondsSinceUpdate, "\(neighbour.address) has no age")
            #expect(seconds >= 0 && seconds < 3600, "\(neighbour.address): \(seconds) s")
            let confirmed = try #require(
                neighbour.secondsSinceConfirmed, "\(neighbour.address) has no confirmation age")
            #expect(confirmed >= 0, "\(neighbour.address): \(confirmed) s")
        }
    }

    @Test("the neighbour dump holds what ip neigh printed and no bridge entries")
    func matchesIPNeigh() throws {
        let neighbours = try Requests.neighbours(netlinkMessages: Self.fixture("neighbours"))
        // `ip neigh` hides NOARP entries (multicast, loopback); the dump has them all.
        let shown = neighbours.filter { !$0.state.contains(.noARP) }.map(\.address.description).sorted()
        #expect(shown == ["10.9.0.2", "10.9.0.98", "10.9.0.99", "fd09::2"])
        #expect(try Requests.bridgeForwardingEntries(netlinkMessages: Self.fixture("neighbours")).isEmpty)
    }

    @Test("forwarding entries: learned MACs behind their port, the ports' own addresses as local")
    func forwardingEntries() throws {
        let entries = try Requests.bridgeForwardingEntries(netlinkMessages: Self.fixture("fdb"))
        let bridge = try Self.index("br0")
        let portPod = try Self.index("port-pod")
        let portIdle = try Self.index("port-idle")
        let learned = entries.filter { $0.bridgeIndex != nil && !$0.isLocal }
        #expect(
            Set(learned) == [
                BridgeForwardingEntry(linkAddress: Self.podMAC, portIndex: portPod, bridgeIndex: bridge),
                BridgeForwardingEntry(
                    linkAddress: LinkAddress([2, 0, 0, 0, 1, 3]), portIndex: portIdle, bridgeIndex: bridge),
            ])
        let local = Set(
            entries.filter { $0.bridgeIndex != nil && $0.isLocal }.map { "\($0.linkAddress)@\($0.portIndex)" })
        #expect(
            local == [
                "02:00:00:00:00:01@\(bridge)", "02:00:00:00:01:01@\(portPod)", "02:00:00:00:01:02@\(portIdle)",
            ])
        #expect(entries.allSatisfy { $0.vlan == nil }, "this kernel has no bridge VLAN filtering")
    }

    @Test("entries of devices' own address lists have no bridge; the entries are those bridge fdb printed, in order")
    func ownAddressLists() throws {
        let entries = try Requests.bridgeForwardingEntries(netlinkMessages: Self.fixture("fdb"))
        let own = entries.filter { $0.bridgeIndex == nil }
        #expect(own.count == 14, "multicast addresses the devices listen on")
        #expect(own.allSatisfy { $0.isLocal && $0.linkAddress.bytes.count == 6 })
        #expect(
            own.contains {
                $0.linkAddress.description == "33:33:00:00:00:01" && $0.portIndex == (try? Self.index("br0"))
            })
        #expect(try Requests.neighbours(netlinkMessages: Self.fixture("fdb")).isEmpty)
        let url = try #require(
            Bundle.module.url(forResource: "fdb-bridge-fdb", withExtension: "txt", subdirectory: "Fixtures/netlink"))
        let names = Dictionary(try Self.links().values.map { ($0.index, $0.name) }) { first, _ in first }
        let printed = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let decoded = entries.map { entry in
            let owner = entry.bridgeIndex.map { "master \(names[$0] ?? "?")" } ?? "self"
            return "\(entry.linkAddress) dev \(names[entry.portIndex] ?? "?") \(owner)"
                + (entry.isLocal ? " permanent" : "")
        }
        #expect(decoded == printed)
    }

    @Test("bridge ports: master, hairpin on and off; the bridge is promiscuous")
    func bridgePorts() throws {
        let links = try Self.links()
        let bridge = try #require(links["br0"])
        #expect(bridge.isBridge && bridge.promiscuous && bridge.master == nil && bridge.bridgePort == nil)
        #expect(links["port-pod"]?.master == bridge.index)
        #expect(links["port-pod"]?.bridgePort == BridgePortOptions(hairpin: true))
        #expect(links["port-idle"]?.master == bridge.index)
        #expect(links["port-idle"]?.bridgePort == BridgePortOptions(hairpin: false))
        // A veth that is no bridge port: no master, no port options, not promiscuous.
        #expect(links["idle-peer"]?.master == nil && links["idle-peer"]?.bridgePort == nil)
        #expect(links["idle-peer"]?.promiscuous == false)
        #expect(links["lo"]?.promiscuous == false)
        // The bridge keeps its own netfilter options beside the new fields.
        #expect(bridge.bridgeNetfilter != nil)
        #expect(bridge.forwardingAgeingSeconds == 300, "the kernel's default ageing time, sent in ticks")
        #expect(links["port-pod"]?.forwardingAgeingSeconds == nil)
    }

    @Test("the older links recording has no bridge ports and no promiscuous link")
    func olderLinks() throws {
        let url = try #require(
            Bundle.module.url(forResource: "links", withExtension: "bin", subdirectory: "Fixtures/netlink"))
        let links = try Requests.links(netlinkMessages: Array(Data(contentsOf: url)))
        #expect(links.allSatisfy { $0.bridgePort == nil && $0.master == nil && !$0.promiscuous })
    }
}
