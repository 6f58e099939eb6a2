import CTWatchCore
import Conntrack
import Testing

/// Doctor's checks are plain functions of what it read.
@Suite("doctor checks")
struct DoctorTests {
    static func inputs(
        _ sysctls: [String: String], entries: UInt32 = 10, max: UInt32 = 262_144, insertFailed: UInt32 = 0,
        drop: UInt32 = 0, bridges: Bool = true,
        proxyMode: Doctor.ProxyModeEvidence = Doctor.ProxyModeEvidence(iptables: ["ip nat", "ip6 nat"])
    ) -> Doctor.Inputs {
        var cpu = CPUStatistics(cpu: 0)
        cpu.counts.insertFailed = UInt64(insertFailed)
        cpu.counts.drop = UInt64(drop)
        let bridge = NetworkInterface(
            index: 3, name: "cni0", kind: "bridge",
            addresses: [InterfaceAddress(address: IPAddress("10.224.1.1")!, prefixLength: 24)])
        return Doctor.Inputs(
            sysctls: sysctls,
            statistics: TableStatistics(entries: entries, maxEntries: max, perCPU: [cpu, CPUStatistics(cpu: 1)]),
            bridges: bridges ? [bridge] : [], namespace: .named("node"), proxyMode: proxyMode)
    }

    static let healthy = [
        "net.bridge.bridge-nf-call-iptables": "1", "net.bridge.bridge-nf-call-ip6tables": "1",
        "net.netfilter.nf_conntrack_events": "1", "net.netfilter.nf_conntrack_timestamp": "1",
        "net.ipv4.ip_forward": "1",
    ]

    static func finding(_ findings: [Doctor.Finding], _ check: String) -> Doctor.Finding? {
        findings.first { $0.check == check }
    }

    @Test("a healthy node: every check ok")
    func healthy() {
        let findings = Doctor.check(Self.inputs(Self.healthy))
        #expect(findings.allSatisfy { $0.severity == .ok }, "\(findings.filter { $0.severity != .ok })")
        #expect(findings.count == 9)
    }

    @Test("bridge-nf-call-iptables=0 on a node with a bridge is an error with the sysctl fix")
    func bridgeNetfilterOff() throws {
        var sysctls = Self.healthy
        sysctls["net.bridge.bridge-nf-call-iptables"] = "0"
        let finding = try #require(
            Self.finding(Doctor.check(Self.inputs(sysctls)), "net.bridge.bridge-nf-call-iptables"))
        #expect(finding.severity == .error && finding.value == "0")
        #expect(finding.explanation.contains("cni0"))
        #expect(finding.fix?.hasPrefix("sysctl -w net.bridge.bridge-nf-call-iptables=1") == true)
        let noBridge = try #require(
            Self.finding(Doctor.check(Self.inputs(sysctls, bridges: false)), "net.bridge.bridge-nf-call-iptables"))
        #expect(noBridge.severity == .warn)
    }

    @Test("br_netfilter not loaded: the sysctl is absent")
    func absent() throws {
        var sysctls = Self.healthy
        sysctls["net.bridge.bridge-nf-call-ip6tables"] = nil
        let finding = try #require(
            Self.finding(Doctor.check(Self.inputs(sysctls)), "net.bridge.bridge-nf-call-ip6tables"))
        #expect(finding.value == "absent" && finding.severity == .warn)
        #expect(finding.fix?.contains("modprobe br_netfilter") == true)
    }

    @Test("events=2, timestamps off: explained, not alarming")
    func eventsAndTimestamps() throws {
        var sysctls = Self.healthy
        sysctls["net.netfilter.nf_conntrack_events"] = "2"
        sysctls["net.netfilter.nf_conntrack_timestamp"] = "0"
        let findings = Doctor.check(Self.inputs(sysctls))
        let events = try #require(Self.finding(findings, "net.netfilter.nf_conntrack_events"))
        #expect(events.severity == .info && events.explanation.contains("listener"))
        let stamp = try #require(Self.finding(findings, "net.netfilter.nf_conntrack_timestamp"))
        #expect(
            stamp.severity == .info
                && stamp.fix
                    == "sysctl -w net.netfilter.nf_conntrack_timestamp=1 (applies to entries created afterwards)"
        )
    }

    @Test("insert races: the five-second DNS delay; a nearly full table; drops; no forwarding")
    func counters() throws {
        var sysctls = Self.healthy
        sysctls["net.ipv4.ip_forward"] = "0"
        let findings = Doctor.check(Self.inputs(sysctls, entries: 250_000, insertFailed: 17, drop: 3))
        let races = try #require(Self.finding(findings, "insert_failed"))
        #expect(races.severity == .warn && races.value == "17" && races.explanation.contains("five-second DNS delay"))
        let table = try #require(Self.finding(findings, "entries"))
        #expect(table.severity == .error && table.value == "250000/262144")
        #expect(Self.finding(findings, "drop")?.severity == .warn)
        #expect(Self.finding(findings, "net.ipv4.ip_forward")?.severity == .error)
    }

    @Test("text shows the explanation and fix under each check that needs attention only")
    func text() {
        var sysctls = Self.healthy
        sysctls["net.bridge.bridge-nf-call-iptables"] = "0"
        let lines = Doctor.textLines(Doctor.check(Self.inputs(sysctls)), namespace: .named("node"))
        #expect(lines[0] == "ctwatch doctor: network namespace node")
        #expect(lines[1].hasPrefix("[error] net.bridge.bridge-nf-call-iptables"))
        #expect(lines[3].hasPrefix("        fix: sysctl -w net.bridge.bridge-nf-call-iptables=1"))
        #expect(lines[4].hasPrefix("[error] cni0 nf_call_iptables"), "the bridge's own option, also off")
        #expect(lines[7].hasPrefix("[ok]    net.bridge.bridge-nf-call-ip6tables"))
    }

    static let ipvs = IPVSMode(
        serviceAddresses: [IPAddress("10.233.53.172")!, IPAddress("fd00:233::172")!], procNetIPVS: true)

    @Test("kube-proxy mode: iptables from KUBE-SERVICES in nat, nftables from the kube-proxy table, IPVS first")
    func proxyMode() throws {
        let chains = [
            NFTablesChain(family: .ip, table: "nat", name: "PREROUTING"),
            NFTablesChain(family: .ip, table: "nat", name: "KUBE-SERVICES"),
            NFTablesChain(family: .ip6, table: "nat", name: "KUBE-SERVICES"),
            NFTablesChain(family: .ip, table: "filter", name: "KUBE-SERVICES"),
            NFTablesChain(family: .ip, table: "kube-proxy", name: "services"),
            NFTablesChain(family: .inet, table: "kube-proxy", name: "filter-input"),
            NFTablesChain(family: .bridge, table: "kube-proxy", name: "x"),
        ]
        let evidence = Doctor.ProxyModeEvidence(chains: chains, ipvs: nil)
        #expect(evidence.iptables == ["ip nat", "ip6 nat"])
        #expect(evidence.nftables == ["ip kube-proxy", "inet kube-proxy"])

        let iptables = try #require(
            Self.finding(
                Doctor.check(Self.inputs(Self.healthy, proxyMode: .init(chains: Array(chains[0...2]), ipvs: nil))),
                "kube-proxy mode"))
        #expect(iptables.severity == .ok && iptables.value == "iptables (KUBE-SERVICES in ip nat, ip6 nat)")
        let nftables = try #require(
            Self.finding(
                Doctor.check(Self.inputs(Self.healthy, proxyMode: .init(nftables: ["ip kube-proxy"]))),
                "kube-proxy mode"))
        #expect(nftables.value == "nftables (ip kube-proxy)")
        let none = try #require(
            Self.finding(Doctor.check(Self.inputs(Self.healthy, proxyMode: .init())), "kube-proxy mode"))
        #expect(none.severity == .info && none.value == "none seen")
        // IPVS mode writes iptables chains too: both are said, IPVS first, and it explains the wider dump.
        let findings = Doctor.check(
            Self.inputs(
                Self.healthy.merging(["net.ipv4.vs.conntrack": "1"]) { $1 },
                proxyMode: .init(iptables: ["ip nat"], ipvs: Self.ipvs)))
        let ipvs = try #require(Self.finding(findings, "kube-proxy mode"))
        #expect(
            ipvs.value
                == "ipvs (kube-ipvs0 (2 Service addresses), /proc/net/ip_vs); iptables (KUBE-SERVICES in ip nat)")
        #expect(ipvs.severity == .info && ipvs.explanation.contains("DST_NAT"))
        #expect(Self.finding(findings, "net.ipv4.vs.conntrack")?.severity == .ok)
        // No IPVS: the IPVS sysctl is not judged.
        #expect(Self.finding(Doctor.check(Self.inputs(Self.healthy)), "net.ipv4.vs.conntrack") == nil)
    }

    @Test("IPVS with net.ipv4.vs.conntrack=0: an error, ctwatch cannot see IPVS connections, with the fix")
    func ipvsConntrackOff() throws {
        let findings = Doctor.check(
            Self.inputs(
                Self.healthy.merging(["net.ipv4.vs.conntrack": "0"]) { $1 }, proxyMode: .init(ipvs: Self.ipvs)))
        let finding = try #require(Self.finding(findings, "net.ipv4.vs.conntrack"))
        #expect(finding.severity == .error && finding.value == "0")
        #expect(finding.explanation.contains("leave no conntrack entries"))
        #expect(finding.explanation.contains("kube-proxy sets this to 1 in IPVS mode; something reset it"))
        #expect(finding.fix?.hasPrefix("sysctl -w net.ipv4.vs.conntrack=1") == true)
        #expect(Doctor.needsAttention(findings))
        // kube-ipvs0 without the ip_vs module: the sysctl is absent.
        let absent = try #require(
            Self.finding(
                Doctor.check(
                    Self.inputs(
                        Self.healthy,
                        proxyMode: .init(ipvs: IPVSMode(serviceAddresses: [], procNetIPVS: false)))),
                "net.ipv4.vs.conntrack"))
        #expect(absent.severity == .warn && absent.value == "absent")
    }
}
