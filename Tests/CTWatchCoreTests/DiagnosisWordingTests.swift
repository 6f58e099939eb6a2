import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

/// The bridge-nf diagnosis says how the client's kernel refuses the backend's
/// unexpected answer, which depends on the protocol.
@Suite("diagnosis wording per protocol")
struct DiagnosisWordingTests {
    static let recorded = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow

    static func explanation(_ transport: TransportProtocol, namespace: String = "node") -> String {
        var flow = recorded
        flow.transport = transport
        return StuckRules.diagnose(flow, bridgeNetfilter: [.ipv4: false], namespace: .named(namespace)).explanation
    }

    @Test("TCP: the client resets the answer (the README's text)")
    func tcp() {
        let text = Self.explanation(.tcp)
        #expect(text.hasSuffix("is not un-DNAT'ed, and the client resets an answer from an address it never called."))
        #expect(!text.contains("ICMP") && !text.contains("ABORT"))
    }

    @Test("UDP: the client answers with ICMP port unreachable, not a reset")
    func udp() {
        let text = Self.explanation(.udp)
        #expect(text.contains("with ICMP port unreachable"))
        #expect(!text.contains("reset"))
    }

    @Test("SCTP: the client aborts the association")
    func sctp() {
        let text = Self.explanation(.sctp)
        #expect(text.contains("SCTP ABORT"))
        #expect(!text.contains("reset") && !text.contains("ICMP"))
    }

    @Test("the README shows the TCP text as stuck prints it")
    func readme() throws {
        let readme = try String(
            contentsOf: RepositoryLayout.root.appendingPathComponent("README.md"), encoding: .utf8)
        // The README shows what the demo printed: a flow on cni0, whose own option is off too.
        let text = Diagnosis.bridgeNetfilterDisabled(
            family: .ipv4, transport: .tcp, namespace: .named("ctwdemo27879-node"), bridge: ("cni0", false)
        ).explanation
        #expect(readme.contains("bridge-nf-call-iptables-disabled. " + text))
    }
}
