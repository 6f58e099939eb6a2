import Conntrack
import Foundation
import TestSupport
import Testing

/// The rtnetlink reads the diagnosis rests on, against the real kernel: the
/// neighbour table, the bridge forwarding database and bridge ports' options,
/// in a node namespace with bridge `br0` (10.9.0.1/24, fd09::1/64) and two
/// ports: `port-pod` to a pod namespace holding 10.9.0.2 and fd09::2 behind
/// MAC 02:00:00:00:00:02, and `port-idle` to a veth of the node's own.
@Suite("neighbour table, forwarding database and bridge ports on the real kernel", .privileged)
struct NeighbourTableTests {
    static let podMAC = LinkAddress([0x02, 0, 0, 0, 0, 0x02])
    static let podPortMAC = LinkAddress([0x02, 0, 0, 0, 0x01, 0x01])
    static let podIPv4 = IPAddress("10.9.0.2")!
    static let podIPv6 = IPAddress("fd09::2")!
    /// An address of the bridge's subnet that nobody holds.
    static let nobody = IPAddress("10.9.0.99")!

    static func run(_ arguments: [String]) async throws -> ProcessResult {
        let result = try await Subprocess.run(arguments[0], Array(arguments.dropFirst()), timeout: 30)
        try #require(result.status == 0, "\(result)")
        return result
    }

    static let bridgeMAC = LinkAddress([0x02, 0, 0, 0, 0, 0x01])

    /// Builds the node's bridge with its two ports and the pod. A bridge given
    /// no address of its own takes its ports' lowest one, so deleting that port
    /// changes the bridge's address (which flushes its neighbour entries).
    static func build(node: String, pod: String, bridgeAddress: LinkAddress? = bridgeMAC) async throws {
        for command in [
            "ip -n \(node) link set lo up",
            "ip -n \(pod) link set lo up",
            "ip -n \(node) link add br0 \(bridgeAddress.map { "address \($0) " } ?? "")type bridge",
            "ip -n \(node) addr add 10.9.0.1/24 dev br0",
            "ip -n \(node) addr add fd09::1/64 dev br0 nodad",
            "ip -n \(node) link set br0 up",
            "ip -n \(node) link add port-pod address \(podPortMAC) type veth peer name eth0 address \(podMAC) netns \(pod)",
            "ip -n \(node) link set port-pod master br0",
            "ip -n \(node) link set port-pod up",
            "ip -n \(pod) addr add 10.9.0.2/24 dev eth0",
            "ip -n \(pod) addr add fd09::2/64 dev eth0 nodad",
            "ip -n \(pod) link set eth0 up",
            "ip -n \(node) link add port-idle address 02:00:00:00:01:02 type veth peer name idle-peer address 02:00:00:00:01:03",
            "ip -n \(node) link set port-idle master br0",
            "ip -n \(node) link set port-idle up",
            "ip -n \(node) link set idle-peer up",
        ] {
            _ = try await run(command.split(separator: " ").map(String.init))
        }
    }

    static func ping(_ namespace: String, _ address: IPAddress) async throws -> Bool {
        let ping = try await Subprocess.run(
            "ip", ["netns", "exec", namespace, "ping", "-c", "1", "-W", "2", address.description], timeout: 30)
        return ping.status == 0
    }

    static func entry(_ handle: Conntrack, _ address: IPAddress) throws -> Neighbour? {
        try handle.neighbours().first { $0.address == address }
    }

    @Test("answered neighbours are REACHABLE with the pod's MAC; an address nobody holds fails without one")
    func neighbourStates() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { node in
            try await ScratchNamespace.with { pod in
                try await Self.build(node: node, pod: pod)
                let handle = try Conntrack(namespace: .named(node))
                let bridge = try #require(try handle.interfaces().first { $0.name == "br0" })

                // An entry is REACHABLE just after an answer; under load it may have
                // aged to STALE before the read, so ping again until a read sees it.
                for address in [Self.podIPv4, Self.podIPv6] {
                    var last: Neighbour?
                    let reachable = try await Poll.eventually(timeout: 30) {
                        guard try await Self.ping(node, address) else { return false }
                        last = try Self.entry(handle, address)
                        return last?.state == .reachable
                    }
                    #expect(reachable, "\(address): \(String(describing: last))")
                    #expect(last?.linkAddress == Self.podMAC)
                    #expect(last?.interfaceIndex == bridge.index)
                }
                let shown = try await Self.run(["ip", "-n", node, "neigh", "show", Self.podIPv4.description])
                #expect(shown.stdout.contains("lladdr \(Self.podMAC)"), "\(shown)")

                // Nobody answers: the entry is INCOMPLETE while the kernel asks, then FAILED.
                #expect(try await !Self.ping(node, Self.nobody))
                let asked = try #require(try Self.entry(handle, Self.nobody))
                #expect(asked.state == .incomplete || asked.state == .failed, "\(asked.state)")
                #expect(asked.linkAddress == nil)
                var last: Neighbour?
                let failed = try await Poll.eventually(timeout: 30) {
                    last = try Self.entry(handle, Self.nobody)
                    return last?.state == .failed
                }
                #expect(failed, "\(String(describing: last))")
                #expect(last?.linkAddress == nil)
            }
        }
    }

    @Test("the bridge learns the pod's MAC behind its port, and forgets it when the port is deleted")
    func forwardingDatabase() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { node in
            try await ScratchNamespace.with { pod in
                try await Self.build(node: node, pod: pod)
                let handle = try Conntrack(namespace: .named(node))
                let interfaces = Dictionary(try handle.interfaces().map { ($0.name, $0.index) }) { first, _ in first }
                let bridge = try #require(interfaces["br0"])
                let port = try #require(interfaces["port-pod"])

                let learned = BridgeForwardingEntry(linkAddress: Self.podMAC, portIndex: port, bridgeIndex: bridge)
                var entries: [BridgeForwardingEntry] = []
                let learnedAndReachable = try await Poll.eventually(timeout: 30) {
                    guard try await Self.ping(node, Self.podIPv4) else { return false }
                    entries = try handle.bridgeForwardingEntries()
                    let neighbour = try Self.entry(handle, Self.podIPv4)
                    return entries.contains(learned) && neighbour?.state == .reachable
                }
                #expect(learnedAndReachable, "\(entries)")
                // The port's own address is a local entry of the bridge.
                #expect(entries.contains { $0.linkAddress == Self.podPortMAC && $0.portIndex == port && $0.isLocal })
                #expect(entries.filter { $0.linkAddress == Self.podMAC }.allSatisfy { $0.bridgeIndex == bridge })
                let fdb = try await Self.run(["bridge", "-n", node, "fdb", "show", "br", "br0"])
                #expect(
                    fdb.stdoutLines.contains { $0.hasPrefix("\(Self.podMAC) dev port-pod master br0") }, "\(fdb)")

                // The pod goes with its veth: the bridge forgets its MAC with the
                // port, while the node's neighbour entry outlives it.
                _ = try await Self.run(["ip", "-n", pod, "link", "del", "eth0"])
                var remaining: [BridgeForwardingEntry] = []
                let forgotten = try await Poll.eventually(timeout: 30) {
                    remaining = try handle.bridgeForwardingEntries()
                    return !remaining.contains { $0.linkAddress == Self.podMAC || $0.portIndex == port }
                }
                #expect(forgotten, "\(remaining)")
                let neighbour = try Self.entry(handle, Self.podIPv4)
                #expect(neighbour?.linkAddress == Self.podMAC, "\(String(describing: neighbour))")
                #expect(neighbour.map { !$0.state.isDisjoint(with: [.reachable, .stale, .delay, .probe]) } == true)
                #expect(try !handle.interfaces().contains { $0.name == "port-pod" })
            }
        }
    }

    @Test("a bridge whose address came from the deleted port changes address and forgets its neighbours")
    func bridgeAddressChangeFlushesNeighbours() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { node in
            try await ScratchNamespace.with { pod in
                // The pod's port has the ports' lowest address, so the bridge takes it.
                try await Self.build(node: node, pod: pod, bridgeAddress: nil)
                let handle = try Conntrack(namespace: .named(node))
                let shown = try await Self.run(["ip", "-n", node, "link", "show", "br0"])
                try #require(shown.stdout.contains("link/ether \(Self.podPortMAC)"), "\(shown)")
                var neighbour: Neighbour?
                let reachable = try await Poll.eventually(timeout: 30) {
                    guard try await Self.ping(node, Self.podIPv4) else { return false }
                    neighbour = try Self.entry(handle, Self.podIPv4)
                    return neighbour?.linkAddress == Self.podMAC
                }
                #expect(reachable, "\(String(describing: neighbour))")
                _ = try await Self.run(["ip", "-n", pod, "link", "del", "eth0"])
                let flushed = try await Poll.eventually(timeout: 30) {
                    neighbour = try Self.entry(handle, Self.podIPv4)
                    return neighbour == nil
                }
                #expect(flushed, "\(String(describing: neighbour))")
            }
        }
    }

    @Test("bridge ports name their bridge and hairpin mode; the bridge's promiscuous mode is read")
    func bridgePorts() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { node in
            try await ScratchNamespace.with { pod in
                try await Self.build(node: node, pod: pod)
                let handle = try Conntrack(namespace: .named(node))
                func links() throws -> [String: NetworkInterface] {
                    Dictionary(try handle.interfaces().map { ($0.name, $0) }) { first, _ in first }
                }
                var before = try links()
                let bridge = try #require(before["br0"])
                #expect(!bridge.promiscuous && bridge.bridgePort == nil && bridge.master == nil)
                #expect(before["port-pod"]?.master == bridge.index)
                #expect(before["port-pod"]?.bridgePort == BridgePortOptions(hairpin: false))
                #expect(before["idle-peer"]?.master == nil && before["idle-peer"]?.bridgePort == nil)

                _ = try await Self.run([
                    "ip", "-n", node, "link", "set", "port-pod", "type", "bridge_slave", "hairpin", "on",
                ])
                _ = try await Self.run(["ip", "-n", node, "link", "set", "br0", "promisc", "on"])
                before = try links()
                #expect(before["br0"]?.promiscuous == true)
                #expect(before["br0"]?.bridgeNetfilter != nil, "the bridge keeps its netfilter options")
                #expect(before["port-pod"]?.bridgePort == BridgePortOptions(hairpin: true))
                #expect(before["port-idle"]?.bridgePort == BridgePortOptions(hairpin: false))
                #expect(before["port-idle"]?.master == bridge.index)
                let details = try await Self.run(["ip", "-n", node, "-d", "link", "show", "port-pod"])
                #expect(details.stdout.contains("hairpin on"), "\(details)")

                _ = try await Self.run(["ip", "-n", node, "link", "set", "port-pod", "nomaster"])
                let released = try #require(try links()["port-pod"])
                #expect(released.master == nil && released.bridgePort == nil)
            }
        }
    }

    @Test("neighbour and forwarding reads on a closed handle say so")
    func closedHandle() async throws {
        try Privilege.require()
        try await ScratchNamespace.with { node in
            let handle = try Conntrack(namespace: .named(node))
            #expect(try handle.bridgeForwardingEntries().allSatisfy { $0.bridgeIndex == nil }, "no bridge yet")
            handle.close()
            for (what, call) in [
                ("neighbours", { _ = try handle.neighbours() }),
                ("bridgeForwardingEntries", { _ = try handle.bridgeForwardingEntries() }),
            ] as [(String, () throws -> Void)] {
                let error = #expect(throws: ConntrackError.self, "\(what) on a closed handle") { try call() }
                #expect(error?.errno == EBADF, "\(what): \(String(describing: error))")
            }
        }
    }
}
