import Foundation
import TestSupport
import Testing

/// A bridge's own `nf_call_iptables` / `nf_call_ip6tables` option on the real
/// kernel: the kernel ORs it with the bridge-nf-call sysctl, so with the sysctl
/// at 0 and cni0's option at 1 same-bridge Service calls work, and neither
/// `stuck` nor `doctor` may blame the sysctl.
@Suite("per-bridge netfilter option on the real kernel", .privileged)
struct PerBridgeTests {
    static func bridgeOption(_ bed: TestBed, _ on: Bool) async throws {
        let result = try await bed.script(["bridge-option", on ? "on" : "off"])
        try #require(result.status == 0, "testbed bridge-option failed: \(result)")
        #expect(result.stdout.contains("nf_call_iptables \(on ? 1 : 0)"), "\(result)")
    }

    static func check(_ checks: [[String: Any]], _ name: String) -> [String: Any]? {
        checks.lazy.compactMap { StuckIntegrationTests.value($0, "ctwatch", "check") as? [String: Any] }
            .first { $0["name"] as? String == name }
    }

    @Test("sysctl 0, cni0's option 1: calls work, stuck finds nothing, doctor shows cni0 on and no bridge-nf error")
    func optionOn() async throws {
        try Privilege.require()
        let bed = TestBed()
        defer { bed.down() }
        try await bed.up()
        try await bed.bridgeNF(false)
        try await Self.bridgeOption(bed, true)
        let call = try await bed.call()
        #expect(call.status == 0, "the bridge's own option passes cni0 through iptables: \(call)")
        let call6 = try await bed.call(ipv6: true)
        #expect(call6.status == 0, "\(call6)")
        let stuck = try await StuckIntegrationTests.stuck(bed, ["--min-age", "0", "--json"])
        #expect(stuck.status == 0, "\(stuck)")
        #expect(stuck.stdout.isEmpty, "\(stuck)")

        let text = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
        #expect(text.status == 0, "nothing to fix: \(text)")
        #expect(!text.stdout.contains("[error]"), "\(text)")
        #expect(text.stdout.contains("[info]  net.bridge.bridge-nf-call-iptables"), "\(text)")
        for option in ["nf_call_iptables", "nf_call_ip6tables"] {
            let line = text.stdout.split(separator: "\n").first { $0.contains("cni0 \(option)") }
            #expect(line?.hasPrefix("[ok]") == true, "\(text)")
            #expect(line?.hasSuffix("on (sysctl 0, bridge option 1)") == true, "\(text)")
        }
        let json = try await CTWatchBinary.run(["doctor", "--netns", bed.node, "--json"])
        let checks = try StuckIntegrationTests.objects(json)
        #expect(
            checks.allSatisfy { StuckIntegrationTests.value($0, "event", "dataset") as? String == "ctwatch.doctor" })
        let sysctl = Self.check(checks, "net.bridge.bridge-nf-call-iptables")
        #expect(sysctl?["severity"] as? String == "info" && sysctl?["value"] as? String == "0", "\(json.stdout)")
        let cni0 = Self.check(checks, "cni0 nf_call_iptables")
        #expect(cni0?["severity"] as? String == "ok", "\(json.stdout)")
        #expect(cni0?["value"] as? String == "on (sysctl 0, bridge option 1)", "\(json.stdout)")
    }

    @Test("sysctl 0, cni0's option 0: the classic stuck flow, diagnosed naming cni0; doctor's cni0 line is an error")
    func bothOff() async throws {
        try Privilege.require()
        let bed = TestBed()
        defer { bed.down() }
        try await bed.up()
        try await bed.bridgeNF(false)
        try await Self.bridgeOption(bed, false)
        let call = try await bed.call()
        #expect(call.status != 0, "the call must time out with both switches off: \(call)")
        let port = try #require(call.failedSourcePorts.first, "\(call)")

        let stuck = try await StuckIntegrationTests.stuck(bed, ["--min-age", "0", "--json"])
        #expect(stuck.status == 1, "\(stuck)")
        let alerts = try StuckIntegrationTests.objects(stuck)
        try #require(alerts.count == 1, "\(stuck.stdout)")
        #expect(StuckIntegrationTests.value(alerts[0], "source", "port") as? Int == Int(port))
        let code = StuckIntegrationTests.value(alerts[0], "ctwatch", "diagnosis", "code") as? String
        #expect(code == "bridge-nf-call-iptables-disabled")
        let explanation = StuckIntegrationTests.value(alerts[0], "ctwatch", "diagnosis", "explanation") as? String
        #expect(explanation?.contains("cni0's own nf_call_iptables option is 0") == true, "\(stuck.stdout)")
        let fix = StuckIntegrationTests.value(alerts[0], "ctwatch", "diagnosis", "fix") as? String
        #expect(fix?.contains("ip link set cni0 type bridge nf_call_iptables 1") == true, "\(stuck.stdout)")

        let text = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
        #expect(text.status == 1, "\(text)")
        #expect(text.stdout.contains("[error] net.bridge.bridge-nf-call-iptables"), "\(text)")
        let line = text.stdout.split(separator: "\n").first { $0.contains("cni0 nf_call_iptables") }
        #expect(line?.hasPrefix("[error]") == true, "\(text)")
        #expect(line?.hasSuffix("off (sysctl 0, bridge option 0)") == true, "\(text)")
    }
}
