import Foundation
import TestSupport
import Testing

/// A bridge's own `nf_call_iptables` / `nf_call_ip6tables` option on the real
/// kernel: the kernel ORs it with the bridge-nf-call sysctl, so with the sysctl
/// at 0 and cni0's option at 1 same-bridge Service calls work, and neither
/// `stuck` nor `doctor` may blame the sysctl.
@Suite("per-bridge netfilter option on the real kernel", .privileged)
struct PerBridgeTests {
    /// Runs `stuck --min-age 0 --json` (and `extra`) on the test bed, which must report exactly one stuck flow.
    static func oneAlert(_ bed: TestBed, _ extra: [String] = []) async throws -> (ProcessResult, [String: Any]) {
        let stuck = try await StuckIntegrationTests.stuck(bed, ["--min-age", "0", "--json"] + extra)
        #expect(stuck.status == 1, "\(stuck)")
        let alerts = try StuckIntegrationTests.objects(stuck)
        try #require(alerts.count == 1, "\(stuck.stdout)")
        return (stuck, alerts[0])
    }

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
        try await TestBed.with { bed in
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
                checks.allSatisfy { StuckIntegrationTests.value($0, "event", "dataset") as? String == "ctwatch.doctor" }
            )
            let sysctl = Self.check(checks, "net.bridge.bridge-nf-call-iptables")
            #expect(sysctl?["severity"] as? String == "info" && sysctl?["value"] as? String == "0", "\(json.stdout)")
            let cni0 = Self.check(checks, "cni0 nf_call_iptables")
            #expect(cni0?["severity"] as? String == "ok", "\(json.stdout)")
            #expect(cni0?["value"] as? String == "on (sysctl 0, bridge option 1)", "\(json.stdout)")
        }
    }

    @Test("sysctl 0, cni0's option 1, a backend that drops the call: stuck, but not blamed on bridge-nf")
    func optionOnBackendSilent() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            try await Self.bridgeOption(bed, true)
            let drop = try await bed.exec(
                .b, ["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"])
            try #require(drop.status == 0, "\(drop)")
            let call = try await bed.call()
            #expect(call.status != 0, "B drops the SYN: \(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")

            let (stuck, alert) = try await Self.oneAlert(bed)
            #expect(StuckIntegrationTests.value(alert, "source", "port") as? Int == Int(port))
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "code") as? String == "unknown",
                "cni0's own option passes its traffic through iptables: \(stuck.stdout)")
        }
    }

    @Test("sysctl 0, cni0's option 0: the classic stuck flow, diagnosed naming cni0; doctor's cni0 line is an error")
    func bothOff() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            try await Self.bridgeOption(bed, false)
            let call = try await bed.call()
            #expect(call.status != 0, "the call must time out with both switches off: \(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")

            let (stuck, alert) = try await Self.oneAlert(bed)
            #expect(StuckIntegrationTests.value(alert, "source", "port") as? Int == Int(port))
            let code = StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "code") as? String
            #expect(code == "bridge-nf-call-iptables-disabled")
            let explanation = StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "explanation") as? String
            #expect(explanation?.contains("cni0's own nf_call_iptables option is 0") == true, "\(stuck.stdout)")
            let fix = StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "fix") as? String
            #expect(fix?.contains("ip link set cni0 type bridge nf_call_iptables 1") == true, "\(stuck.stdout)")

            let text = try await CTWatchBinary.run(["doctor", "--netns", bed.node])
            #expect(text.status == 1, "\(text)")
            #expect(text.stdout.contains("[error] net.bridge.bridge-nf-call-iptables"), "\(text)")
            let line = text.stdout.split(separator: "\n").first { $0.contains("cni0 nf_call_iptables") }
            #expect(line?.hasPrefix("[error]") == true, "\(text)")
            #expect(line?.hasSuffix("off (sysctl 0, bridge option 0)") == true, "\(text)")
        }
    }

    @Test("sysctls 0, cni0's option for IPv4 only: IPv4 calls work, the IPv6 call is stuck and blamed on ip6tables")
    func optionPerFamily() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            let set = try await bed.exec(
                .node,
                ["ip", "link", "set", "cni0", "type", "bridge", "nf_call_iptables", "1", "nf_call_ip6tables", "0"])
            try #require(set.status == 0, "\(set)")
            #expect(try await bed.call().status == 0)
            let call6 = try await bed.call(ipv6: true)
            #expect(call6.status != 0, "\(call6)")

            let (stuck, alert) = try await Self.oneAlert(bed)
            #expect(StuckIntegrationTests.value(alert, "source", "ip") as? String == "fd00:224:1::34")
            #expect(
                StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "code") as? String
                    == "bridge-nf-call-ip6tables-disabled")
            let explanation = StuckIntegrationTests.value(alert, "ctwatch", "diagnosis", "explanation") as? String
            #expect(explanation?.contains("cni0's own nf_call_ip6tables option is 0") == true, "\(stuck.stdout)")

            let json = try await CTWatchBinary.run(["doctor", "--netns", bed.node, "--json"])
            #expect(json.status == 1, "\(json)")
            let checks = try StuckIntegrationTests.objects(json)
            let severities = [
                "net.bridge.bridge-nf-call-iptables": "info", "cni0 nf_call_iptables": "ok",
                "net.bridge.bridge-nf-call-ip6tables": "error", "cni0 nf_call_ip6tables": "error",
            ]
            for (name, severity) in severities {
                #expect(Self.check(checks, name)?["severity"] as? String == severity, "\(name): \(json.stdout)")
            }
            #expect(
                Self.check(checks, "cni0 nf_call_ip6tables")?["value"] as? String == "off (sysctl 0, bridge option 0)")
        }
    }

    /// The diagnosis code of each `dnat-unreplied` line that parses, by its source "address:port".
    static func codes(_ lines: [String]) -> [String: String] {
        var codes: [String: String] = [:]
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                StuckIntegrationTests.value(object, "event", "action") as? String == "dnat-unreplied",
                let ip = StuckIntegrationTests.value(object, "source", "ip") as? String,
                let port = StuckIntegrationTests.value(object, "source", "port") as? Int,
                let code = StuckIntegrationTests.value(object, "ctwatch", "diagnosis", "code") as? String
            else { continue }
            codes["\(ip):\(port)"] = code
        }
        return codes
    }

    @Test("--watch re-reads cni0's option: a flow found after it was turned on is not blamed on bridge-nf")
    func watchSeesOptionFlip() async throws {
        try Privilege.require()
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            try await Self.bridgeOption(bed, false)
            let watch = try CTWatchBinary.start([
                "stuck", "--netns", bed.node, "--watch", "--json", "--min-age", "0", "--cidr", "10.224.1.0/24",
                "--resync-interval", "1", "-v",
            ])
            defer { watch.signal(SIGKILL) }
            try #require(await watch.waitForStderr(containing: "watching", timeout: 30), "\(watch.stderrSoFar)")
            let call = try await bed.call(timeout: 2)
            #expect(call.status != 0, "\(call)")
            let port = try #require(call.failedSourcePorts.first, "\(call)")
            let before = "10.224.1.34:\(port)"
            let found = await watch.waitForStdout(timeout: 30) { Self.codes($0)[before] != nil }
            #expect(found, "\(watch.stdoutSoFar)")

            try await Self.bridgeOption(bed, true)
            // Found only by a re-dump, and each re-dump re-reads the switches first.
            let marker = try await StuckIntegrationTests.insertSilently(bed.node, offset: 100)
            let run = await watch.stopWhen(timeout: 30) { Self.codes($0)[marker] != nil }
            #expect(run.conditionMet, "\(run)")
            let codes = Self.codes(run.result.stdoutLines)
            #expect(codes[before] == "bridge-nf-call-iptables-disabled", "both switches off then: \(run)")
            #expect(codes[marker] == "unknown", "cni0's option on now: \(run)")
        }
    }
}
