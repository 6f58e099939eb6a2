import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// The kernel ORs the bridge-nf-call sysctl with each bridge's own
/// `nf_call_*` option: the diagnosis and doctor go by the bridge a flow's
/// pods sit on.
@Suite("per-bridge netfilter switch")
struct PerBridgeDiagnosisTests {
    static let stuckV4 = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow
    static let stuckV6 = RecordedFlows.named("bridge-nf off", "tcp ipv6 SYN_SENT DNAT UNREPLIED").flow
    static let namespace = NetworkNamespace.named("node")

    /// cni0 holds the recorded flows' pods (10.224.1.0/24, fd00:224:1::/64); cbr1 another subnet.
    static func bridges(cni0 options: BridgeNetfilterOptions?, cbr1: BridgeNetfilterOptions? = nil)
        -> [NetworkInterface]
    {
        [
            NetworkInterface(
                index: 3, name: "cni0", kind: "bridge",
                addresses: [
                    InterfaceAddress(address: IPAddress("10.224.1.1")!, prefixLength: 24),
                    InterfaceAddress(address: IPAddress("fd00:224:1::1")!, prefixLength: 64),
                ], bridgeNetfilter: options),
            NetworkInterface(
                index: 4, name: "cbr1", kind: "bridge",
                addresses: [InterfaceAddress(address: IPAddress("10.224.9.1")!, prefixLength: 24)],
                bridgeNetfilter: cbr1),
        ]
    }

    static let bothOn = BridgeNetfilterOptions(callIPTables: true, callIP6Tables: true)
    static let bothOff = BridgeNetfilterOptions(callIPTables: false, callIP6Tables: false)
    static let sysctlsOff: [IPAddress.Family: Bool] = [.ipv4: false, .ipv6: false]

    @Test("sysctl 0, the flow's bridge has its option on: not blamed on bridge-nf")
    func optionOn() {
        let state = BridgeNetfilterState(sysctls: Self.sysctlsOff, bridges: Self.bridges(cni0: Self.bothOn))
        #expect(state.isOn(.ipv4, source: Self.stuckV4.original.source))
        #expect(StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: state, namespace: Self.namespace).code == "unknown")
        #expect(StuckRules.diagnose(Self.stuckV6, bridgeNetfilter: state, namespace: Self.namespace).code == "unknown")
    }

    @Test("only the option of the flow's own bridge and family counts")
    func optionElsewhere() {
        let otherBridge = BridgeNetfilterState(
            sysctls: Self.sysctlsOff, bridges: Self.bridges(cni0: Self.bothOff, cbr1: Self.bothOn))
        #expect(
            StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: otherBridge, namespace: Self.namespace).code
                == "bridge-nf-call-iptables-disabled")
        let ipv4Only = BridgeNetfilterState(
            sysctls: Self.sysctlsOff,
            bridges: Self.bridges(cni0: BridgeNetfilterOptions(callIPTables: true, callIP6Tables: false)))
        #expect(
            StuckRules.diagnose(Self.stuckV6, bridgeNetfilter: ipv4Only, namespace: Self.namespace).code
                == "bridge-nf-call-ip6tables-disabled")
        #expect(
            StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: ipv4Only, namespace: Self.namespace).code == "unknown")
    }

    @Test("both off: the diagnosis names the bridge, both switches, and both fixes")
    func bothOffNamesBridge() {
        let state = BridgeNetfilterState(sysctls: Self.sysctlsOff, bridges: Self.bridges(cni0: Self.bothOff))
        let diagnosis = StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: state, namespace: Self.namespace)
        #expect(diagnosis.code == "bridge-nf-call-iptables-disabled")
        #expect(diagnosis.explanation.contains("net.bridge.bridge-nf-call-iptables is 0"))
        let explanation = diagnosis.explanation
        #expect(explanation.contains("cni0's own nf_call_iptables option is 0"), Comment(rawValue: explanation))
        #expect(diagnosis.fix?.hasPrefix("sysctl -w net.bridge.bridge-nf-call-iptables=1") == true)
        #expect(diagnosis.fix?.contains("ip link set cni0 type bridge nf_call_iptables 1") == true)
    }

    @Test("br_netfilter not loaded: a bridge's option alone does nothing")
    func moduleAbsent() {
        let state = BridgeNetfilterState(sysctls: [:], bridges: Self.bridges(cni0: Self.bothOn))
        let diagnosis = StuckRules.diagnose(Self.stuckV4, bridgeNetfilter: state, namespace: Self.namespace)
        #expect(diagnosis.code == "bridge-nf-call-iptables-disabled")
        let explanation = diagnosis.explanation
        #expect(
            explanation.hasPrefix(
                "br_netfilter is not loaded in network namespace node (cni0's own nf_call_iptables option is 1, "),
            Comment(rawValue: explanation))
        #expect(diagnosis.fix?.hasPrefix("modprobe br_netfilter; sysctl -w") == true)
        #expect(diagnosis.fix?.contains("ip link set") == false, "the option is on already")
    }

    @Test("a source on no known bridge: the sysctl decides, or every bridge's option")
    func sourceOnNoBridge() {
        let elsewhere = IPAddress("10.99.0.5")!
        let allOn = BridgeNetfilterState(
            sysctls: Self.sysctlsOff, bridges: Self.bridges(cni0: Self.bothOn, cbr1: Self.bothOn))
        #expect(allOn.isOn(.ipv4, source: elsewhere))
        let oneOff = BridgeNetfilterState(sysctls: Self.sysctlsOff, bridges: Self.bridges(cni0: Self.bothOn))
        #expect(!oneOff.isOn(.ipv4, source: elsewhere))
        #expect(BridgeNetfilterState(sysctls: [.ipv4: true]).isOn(.ipv4, source: elsewhere))
    }

    static func doctor(_ bridges: [NetworkInterface], sysctl: String = "0") -> [Doctor.Finding] {
        Doctor.check(
            Doctor.Inputs(
                sysctls: [
                    "net.bridge.bridge-nf-call-iptables": sysctl, "net.bridge.bridge-nf-call-ip6tables": sysctl,
                    "net.netfilter.nf_conntrack_events": "1", "net.netfilter.nf_conntrack_timestamp": "1",
                    "net.ipv4.ip_forward": "1",
                ],
                statistics: TableStatistics(entries: 1, maxEntries: 262_144, perCPU: [CPUStatistics(cpu: 0)]),
                bridges: bridges, namespace: Self.namespace))
    }

    static func finding(_ findings: [Doctor.Finding], _ check: String) -> Doctor.Finding? {
        findings.first { $0.check == check }
    }

    @Test("doctor, sysctl 0 and every bridge's option on: no error, one ok line per bridge and family")
    func doctorOptionOn() throws {
        let findings = Self.doctor(Self.bridges(cni0: Self.bothOn, cbr1: Self.bothOn))
        #expect(!Doctor.needsAttention(findings), "\(findings.filter { $0.severity >= .warn })")
        let sysctl = try #require(Self.finding(findings, "net.bridge.bridge-nf-call-iptables"))
        #expect(sysctl.severity == .info && sysctl.value == "0")
        let cni0 = try #require(Self.finding(findings, "cni0 nf_call_iptables"))
        #expect(cni0.severity == .ok && cni0.value == "on (sysctl 0, bridge option 1)")
        let cni0v6 = try #require(Self.finding(findings, "cni0 nf_call_ip6tables"))
        #expect(cni0v6.severity == .ok && cni0v6.value == "on (sysctl 0, bridge option 1)")
        #expect(Self.finding(findings, "cbr1 nf_call_iptables")?.severity == .ok)
    }

    @Test("doctor, sysctl 0 and one bridge's option off: that bridge is an error, the other ok")
    func doctorOneOff() throws {
        let findings = Self.doctor(Self.bridges(cni0: Self.bothOff, cbr1: Self.bothOn))
        let sysctl = try #require(Self.finding(findings, "net.bridge.bridge-nf-call-iptables"))
        #expect(
            sysctl.severity == .error && sysctl.explanation.contains("cni0") && !sysctl.explanation.contains("cbr1"))
        let cni0 = try #require(Self.finding(findings, "cni0 nf_call_iptables"))
        #expect(cni0.severity == .error && cni0.value == "off (sysctl 0, bridge option 0)")
        #expect(cni0.fix?.contains("ip link set cni0 type bridge nf_call_iptables 1") == true)
        let cbr1 = try #require(Self.finding(findings, "cbr1 nf_call_iptables"))
        #expect(cbr1.severity == .ok && cbr1.value == "on (sysctl 0, bridge option 1)")
        let lines = Doctor.textLines(findings, namespace: Self.namespace)
        #expect(
            lines.contains {
                $0.hasPrefix("[error] cni0 nf_call_iptables") && $0.hasSuffix("off (sysctl 0, bridge option 0)")
            })
    }

    @Test("doctor, sysctl 1: the bridges' options do not matter and are not listed")
    func doctorSysctlOn() {
        let findings = Self.doctor(Self.bridges(cni0: Self.bothOff), sysctl: "1")
        #expect(!Doctor.needsAttention(findings))
        #expect(!findings.contains { $0.check.hasPrefix("cni0 ") })
    }
}
