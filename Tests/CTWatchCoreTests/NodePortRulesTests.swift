import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// A pod calling a NodePort on the node's own bridge address: DNAT'ed like a
/// ClusterIP call, though its destination lies inside the bridge subnet.
@Suite("stuck NodePort calls")
struct NodePortRulesTests {
    static let bridge = try! CIDR(parsing: "10.224.1.0/24")
    static let nodeAddresses = [IPAddress("10.224.1.1")!, IPAddress("10.0.2.15")!, IPAddress("127.0.0.1")!]
    static let second: UInt64 = 1_000_000_000

    /// The recorded bridge-nf-off ClusterIP call, redirected to `destination:30081`.
    static func nodePortCall(_ destination: String) -> Flow {
        var flow = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow
        flow.original.destination = IPAddress(destination)!
        flow.original.destinationPort = 30081
        return flow
    }

    @Test("a destination that is one of the node's addresses is a service address, in or out of the bridge subnet")
    func nodeAddressIsServiceAddress() throws {
        let rules = StuckRules(subnets: [Self.bridge], nodeAddresses: Self.nodeAddresses)
        #expect(rules.subnet(for: Self.nodePortCall("10.224.1.1")) == Self.bridge, "the bridge's own address")
        #expect(rules.subnet(for: Self.nodePortCall("10.0.2.15")) == Self.bridge, "another address of the node")
        #expect(rules.subnet(for: Self.nodePortCall("10.224.1.99")) == nil, "another host of the bridge subnet")
        #expect(
            StuckRules(subnets: [Self.bridge]).subnet(for: Self.nodePortCall("10.224.1.1")) == nil,
            "without the node's addresses the bridge address is just a host of the subnet")
        let services = try CIDR(parsing: "10.233.0.0/16")
        let ranged = StuckRules(subnets: [Self.bridge], serviceRanges: [services], nodeAddresses: Self.nodeAddresses)
        #expect(ranged.subnet(for: Self.nodePortCall("10.224.1.1")) == Self.bridge, "--service-cidr does not hide it")
        #expect(ranged.subnet(for: Self.nodePortCall("10.0.2.15")) == Self.bridge)
        #expect(ranged.with(minAge: .seconds(3)).nodeAddresses == Self.nodeAddresses, "with(minAge:) keeps them")
    }

    @Test("a NodePort flow is stuck and diagnosed like a ClusterIP flow")
    func trackedAndDiagnosed() {
        let flow = Self.nodePortCall("10.224.1.1")
        var tracker = StuckTracker(rules: StuckRules(subnets: [Self.bridge], nodeAddresses: Self.nodeAddresses))
        guard case .stuck(_, _, _, let subnet) = tracker.observe(flow, now: 1_800_000_000 * Self.second, fromDump: true)
        else {
            Issue.record("a NodePort call is stuck at min-age 0")
            return
        }
        #expect(subnet == Self.bridge)
        let diagnosis = StuckRules.diagnose(flow, bridgeNetfilter: [.ipv4: false], namespace: .named("node"))
        #expect(diagnosis.code == "bridge-nf-call-iptables-disabled")
    }

    static func finding(_ flow: Flow, nodePort: Bool) -> StuckFinding {
        StuckFinding(
            flow: flow, since: WallTime(nanoseconds: 1_795_739_900 * second), age: 12 * second, ageFromKernel: false,
            subnet: bridge, nodePort: nodePort, attribution: Attribution(),
            diagnosis: StuckRules.diagnose(flow, bridgeNetfilter: [.ipv4: false], namespace: .named("node")))
    }

    @Test("text and JSON say a NodePort was called; a ClusterIP finding says nothing of it")
    func reported() throws {
        let nodePort = Self.finding(Self.nodePortCall("10.224.1.1"), nodePort: true)
        #expect(StuckReport.table([nodePort])[1].contains("NodePort 10.224.1.1:30081"))
        var json = JSONWriter()
        StuckReport.appendJSON(nodePort, time: WallTime(nanoseconds: 1_795_739_912 * Self.second), into: &json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        #expect(
            (object["message"] as? String)?.hasSuffix(
                "10.224.1.1:30081 => 10.224.1.56:8080 (NodePort, bridge-nf-call-iptables-disabled)") == true)
        #expect((object["ctwatch"] as? [String: Any])?["nodeport"] as? Bool == true)

        let clusterIP = Self.finding(
            RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow, nodePort: false)
        #expect(!StuckReport.table([clusterIP])[1].contains("NodePort"))
        var plain = JSONWriter()
        StuckReport.appendJSON(clusterIP, time: WallTime(nanoseconds: 1_795_739_912 * Self.second), into: &plain)
        let plainObject = try #require(try JSONSerialization.jsonObject(with: Data(plain.bytes)) as? [String: Any])
        #expect((plainObject["ctwatch"] as? [String: Any])?["nodeport"] == nil)
        #expect((plainObject["message"] as? String)?.contains("NodePort") == false)
    }
}
