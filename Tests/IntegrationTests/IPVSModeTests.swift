import Foundation
import TestSupport
import Testing

/// kube-proxy's IPVS mode on the real kernel. This kernel has no IPVS (and no
/// dummy driver), so the node namespace of a test bed gets what IPVS leaves
/// behind: a `kube-ipvs0` link (a bridge stands in for kube-proxy's dummy)
/// holding the ClusterIPs, and conntrack entries written over ctnetlink the
/// way `ip_vs_update_conntrack` shapes them: original CLIENT -> CLUSTERIP,
/// reply BACKEND -> CLIENT, no `DST_NAT` status bit.
@Suite("kube-proxy IPVS mode on the real kernel", .privileged)
struct IPVSModeTests {
    /// One entry per transport and family, each with a source port of its own.
    struct Entry: Sendable, CustomStringConvertible {
        var transport: String
        var ipv6: Bool
        var sourcePort: Int
        var client: String { ipv6 ? "fd00:224:1::34" : "10.224.1.34" }
        var clusterIP: String { ipv6 ? "fd00:233::172" : "10.233.53.172" }
        var backend: String { ipv6 ? "fd00:224:1::56" : "10.224.1.56" }
        var description: String { "\(transport)/\(ipv6 ? "IPv6" : "IPv4") sport \(sourcePort)" }

        /// `conntrack -I` arguments for the entry IPVS would leave: unreplied,
        /// timeouts far beyond the test's length.
        var insertArguments: [String] {
            [
                "conntrack", "-I", "-p", transport, "-s", client, "-d", clusterIP, "--sport", String(sourcePort),
                "--dport", "8080", "-r", backend, "-q", client, "--reply-port-src", "8080", "--reply-port-dst",
                String(sourcePort),
            ]
                + (transport == "tcp" ? ["--state", "SYN_SENT"] : []) + ["-t", "86400", "-u", "UNREPLIED"]
        }
    }

    static let entries = [
        Entry(transport: "tcp", ipv6: false, sourcePort: 41001),
        Entry(transport: "udp", ipv6: false, sourcePort: 41002),
        Entry(transport: "tcp", ipv6: true, sourcePort: 41003), Entry(transport: "udp", ipv6: true, sourcePort: 41004),
    ]
    static let cidrs = ["--cidr", "10.224.1.0/24", "--cidr", "fd00:224:1::/64"]
    static let noticePrefix = "ctwatch: kube-proxy IPVS mode seen in "

    /// The bed's fixtures, with the cart Service serving UDP 8080 too (IPVS balances both).
    static func kubeFiles(in directory: URL) throws -> [String] {
        let fixtures = StuckIntegrationTests.fixtures
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/services.json"))
        var list = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var items = try #require(list["items"] as? [[String: Any]])
        for index in items.indices {
            guard let metadata = items[index]["metadata"] as? [String: Any], metadata["name"] as? String == "cart",
                var spec = items[index]["spec"] as? [String: Any], var ports = spec["ports"] as? [[String: Any]]
            else { continue }
            ports.append(["name": "udp", "port": 8080, "protocol": "UDP", "targetPort": 8080])
            spec["ports"] = ports
            items[index]["spec"] = spec
        }
        list["items"] = items
        let services = directory.appendingPathComponent("services.json")
        try JSONSerialization.data(withJSONObject: list).write(to: services)
        return ["--pods", fixtures + "/pods.json", "--services", services.path]
    }

    /// Writes the entries into the bed's node table and checks that the kernel
    /// kept them as IPVS leaves them: no DST_NAT bit.
    static func insertEntries(_ bed: TestBed) async throws {
        for entry in entries {
            let result = try await bed.exec(.node, entry.insertArguments)
            try #require(result.status == 0, "\(entry): \(result)")
        }
        let list = try await CTWatchBinary.run(["list", "--netns", bed.node, "--json"], timeout: 90)
        try #require(list.status == 0, "\(list)")
        for entry in entries {
            let object = try StuckIntegrationTests.objects(list).first {
                StuckIntegrationTests.value($0, "source", "port") as? Int == entry.sourcePort
            }
            let found = try #require(object, "\(entry) is in the table: \(list.stdout)")
            let status = StuckIntegrationTests.value(found, "ctwatch", "conntrack", "status") as? [String] ?? []
            #expect(!status.contains("DST_NAT"), "\(entry): \(status)")
            #expect(StuckIntegrationTests.value(found, "ctwatch", "conntrack", "seen_reply") as? Bool == false)
        }
    }

    /// The node learns both backends' addresses, so the backend shows signs
    /// of life and the cause can be named.
    static func resolveBackend(_ bed: TestBed) async throws {
        for address in ["10.224.1.56", "fd00:224:1::56"] {
            let answered = try await Poll.eventually(timeout: 60) {
                try await bed.exec(.node, ["ping", "-c", "1", "-W", "2", address]).status == 0
            }
            try #require(answered, "the node reaches the backend \(address)")
        }
    }

    /// Puts kube-ipvs0 with the cart Service's ClusterIPs into the node namespace.
    static func addIPVSInterface(_ bed: TestBed) async throws {
        for command in [
            ["ip", "link", "add", "kube-ipvs0", "type", "bridge"],
            ["ip", "addr", "add", "10.233.53.172/32", "dev", "kube-ipvs0"],
            ["ip", "addr", "add", "fd00:233::172/128", "dev", "kube-ipvs0", "nodad"],
        ] {
            let result = try await bed.exec(.node, command)
            try #require(result.status == 0, "\(command): \(result)")
        }
    }

    /// The `dnat-unreplied` alerts of a stuck run, by source port.
    static func alerts(_ result: ProcessResult) throws -> [Int: [String: Any]] {
        var found: [Int: [String: Any]] = [:]
        for object in try StuckIntegrationTests.objects(result)
        where StuckIntegrationTests.value(object, "event", "action") as? String == "dnat-unreplied" {
            if let port = StuckIntegrationTests.value(object, "source", "port") as? Int { found[port] = object }
        }
        return found
    }

    static func noticeLines(_ result: ProcessResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix(noticePrefix) }
    }

    @Test(
        "IPVS-shaped entries (no DST_NAT bit): found only with --any-dnat without kube-ipvs0; with it, found by themselves, named, with one notice"
    )
    func ipvsShapedEntries() async throws {
        try Privilege.require()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctw-ipvs-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try Self.kubeFiles(in: directory)
        try await TestBed.with { bed in
            try await bed.bridgeNF(false)
            try await Self.resolveBackend(bed)
            try await Self.insertEntries(bed)
            let ports = Set(Self.entries.map(\.sourcePort))

            // No kube-ipvs0: the DST_NAT-filtered dump never sees them; --any-dnat does.
            let plain = try await StuckIntegrationTests.stuck(
                bed, Self.cidrs + ["--min-age", "0", "--json"] + files)
            #expect(Set(try Self.alerts(plain).keys).isDisjoint(with: ports), "\(plain)")
            #expect(Self.noticeLines(plain).isEmpty, "\(plain.stderr)")
            let any = try await StuckIntegrationTests.stuck(
                bed, Self.cidrs + ["--min-age", "0", "--json", "--any-dnat"] + files)
            #expect(ports.isSubset(of: try Self.alerts(any).keys), "\(any)")

            // kube-ipvs0: found without --any-dnat, and without a --service-cidr
            // that holds the ClusterIP (the address on kube-ipvs0 says it is a Service).
            try await Self.addIPVSInterface(bed)
            let result = try await StuckIntegrationTests.stuck(
                bed,
                Self.cidrs + [
                    "--service-cidr", "10.96.0.0/12", "--service-cidr", "fd00:96::/108", "--min-age", "0", "--json",
                ] + files)
            #expect(result.status == 1, "exit 1: stuck flows found: \(result)")
            let notices = Self.noticeLines(result)
            #expect(notices.count == 1, "\(result.stderr)")
            #expect(notices.first?.contains("(kube-ipvs0 (2 Service addresses)") == true, "\(result.stderr)")
            let alerts = try Self.alerts(result)
            for entry in Self.entries {
                let alert = try #require(alerts[entry.sourcePort], "\(entry) found: \(result)")
                let value = { (path: [String]) in
                    path.reduce(alert as Any?) { ($0 as? [String: Any])?[$1] }
                }
                #expect(value(["destination", "ip"]) as? String == entry.clusterIP, "\(entry)")
                #expect(value(["destination", "nat", "ip"]) as? String == entry.backend, "\(entry)")
                #expect(value(["network", "transport"]) as? String == entry.transport, "\(entry)")
                #expect(
                    value(["ctwatch", "source", "pod", "name"]) as? String == "frontend-7c9d8b5f4-x2x7p", "\(entry)")
                #expect(value(["ctwatch", "backend", "pod", "name"]) as? String == "cart-5d6f7b8c9-k4m2n", "\(entry)")
                #expect(value(["ctwatch", "service", "name"]) as? String == "cart", "\(entry)")
                #expect(value(["ctwatch", "service", "namespace"]) as? String == "shop", "\(entry)")
                #expect(
                    value(["ctwatch", "diagnosis", "code"]) as? String
                        == (entry.ipv6 ? "bridge-nf-call-ip6tables-disabled" : "bridge-nf-call-iptables-disabled"),
                    "\(entry): \(alert)")
                let status = value(["ctwatch", "conntrack", "status"]) as? [String] ?? []
                #expect(!status.contains("DST_NAT"), "\(entry): \(status)")
                // A ClusterIP on kube-ipvs0 is not the node's own address: no NodePort.
                #expect(!(value(["message"]) as? String ?? "").contains("NodePort"), "\(entry)")
            }

            // --watch says it once too, and reports the same flows; it is stopped
            // when all four are out, not after a fixed time.
            let watch = try await CTWatchBinary.runUntil(
                ["stuck", "--netns", bed.node] + Self.cidrs + [
                    "--min-age", "0", "--json", "--watch", "--resync-interval", "1",
                ] + files, timeout: 120
            ) { lines in
                ports.isSubset(
                    of: StuckIntegrationTests.stuckSources(lines).compactMap {
                        Int($0.split(separator: ":").last ?? "")
                    })
            }
            #expect(watch.conditionMet, "\(watch)")
            #expect(Self.noticeLines(watch.result).count == 1, "\(watch.result.stderr)")
        }
    }

    /// The value of doctor's `kube-proxy mode` line.
    static func doctorProxyMode(_ bed: TestBed) async throws -> String? {
        let result = try await CTWatchBinary.run(["doctor", "--netns", bed.node, "--json"], timeout: 90)
        return try StuckIntegrationTests.objects(result).first {
            StuckIntegrationTests.value($0, "ctwatch", "check", "name") as? String == "kube-proxy mode"
        }.flatMap { StuckIntegrationTests.value($0, "ctwatch", "check", "value") as? String }
    }

    @Test(
        "doctor names the bed's proxy mode: iptables chains or the nftables table, and IPVS with kube-ipvs0",
        arguments: TestBed.ProxyMode.allCases)
    func doctorProxyMode(_ mode: TestBed.ProxyMode) async throws {
        try Privilege.require()
        try await TestBed.with(proxyMode: mode) { bed in
            let expected =
                mode == .iptables
                ? "iptables (KUBE-SERVICES in ip nat, ip6 nat)" : "nftables (ip kube-proxy, ip6 kube-proxy)"
            #expect(try await Self.doctorProxyMode(bed) == expected)
            try await Self.addIPVSInterface(bed)
            #expect(try await Self.doctorProxyMode(bed) == "ipvs (kube-ipvs0 (2 Service addresses)); " + expected)
        }
    }
}
