import CTWatchCore
import Conntrack
import TestSupport
import Testing

/// A scan keeps one DiagnosisMemo across its findings: every diagnosis it
/// hands out must be the one made afresh for that flow, whatever came before.
@Suite("diagnosis memo")
struct DiagnosisMemoTests {
    static let stuckV4 = RecordedFlows.named("bridge-nf off", "tcp ipv4 SYN_SENT DNAT UNREPLIED").flow
    static let stuckV6 = RecordedFlows.named("bridge-nf off", "tcp ipv6 SYN_SENT DNAT UNREPLIED").flow
    static let second: UInt64 = 1_000_000_000

    static func bridge(_ name: String, option: Bool?) -> NetworkInterface {
        NetworkInterface(
            index: 3, name: name, kind: "bridge",
            addresses: [
                InterfaceAddress(address: IPAddress("10.224.1.1")!, prefixLength: 24),
                InterfaceAddress(address: IPAddress("fd00:224:1::1")!, prefixLength: 64),
            ],
            bridgeNetfilter: option.map { BridgeNetfilterOptions(callIPTables: $0, callIP6Tables: $0) })
    }

    /// Sysctls off, on and absent; no bridge, and bridges of two names with their own option off, on and unknown.
    static let states: [BridgeNetfilterState] = {
        var states: [BridgeNetfilterState] = []
        for sysctls: [IPAddress.Family: Bool] in [[.ipv4: false, .ipv6: false], [.ipv4: true, .ipv6: true], [:]] {
            states.append(BridgeNetfilterState(sysctls: sysctls))
            for name in ["cni0", "br0"] {
                for option in [false, true, nil] {
                    states.append(BridgeNetfilterState(sysctls: sysctls, bridges: [bridge(name, option: option)]))
                }
            }
        }
        return states
    }()

    @Test("every diagnosis taken from a shared memo is the one made afresh")
    func sameAsFresh() {
        var memo = DiagnosisMemo()
        var flows: [Flow] = []
        for base in [Self.stuckV4, Self.stuckV6] {
            for transport in [TransportProtocol.tcp, .udp, .sctp] {
                for timeout in [nil, 10, 11, 574] as [UInt32?] {
                    var flow = base
                    flow.transport = transport
                    flow.timeout = timeout
                    flows.append(flow)
                }
            }
        }
        let since = WallTime(nanoseconds: 1_800_000_000 * Self.second)
        // No switch seen; seen after the flow began; seen before it.
        let windows: [TimeWindow?] = [
            nil,
            TimeWindow(
                after: WallTime(nanoseconds: since.nanoseconds + Self.second),
                before: WallTime(nanoseconds: since.nanoseconds + 2 * Self.second)),
            TimeWindow(
                after: WallTime(nanoseconds: since.nanoseconds - 2 * Self.second),
                before: WallTime(nanoseconds: since.nanoseconds - Self.second)),
        ]
        var checked = 0
        // Twice over, so that the second round is served from the memo.
        for _ in 0..<2 {
            for state in Self.states {
                for namespace in [NetworkNamespace.named("node"), .named("other"), .current] {
                    for flow in flows {
                        for answers in [nil, false, true] as [Bool?] {
                            for turnedOn in windows {
                                let fresh = StuckRules.diagnose(
                                    flow, bridgeNetfilter: state, namespace: namespace, backendAnswers: answers,
                                    since: since, turnedOn: turnedOn)
                                let kept = StuckRules.diagnose(
                                    flow, bridgeNetfilter: state, namespace: namespace, backendAnswers: answers,
                                    since: since, turnedOn: turnedOn, memo: &memo)
                                #expect(kept == fresh, "\(state) \(namespace) \(flow) \(String(describing: answers))")
                                #expect(kept.explanation == fresh.explanation && kept.fix == fresh.fix)
                                checked += 1
                            }
                        }
                    }
                }
            }
        }
        #expect(checked > 10_000)
        // The bridges hold both recorded clients, so each family's text names them.
        for flow in [Self.stuckV4, Self.stuckV6] {
            #expect(Self.states[1].bridge(holding: flow.original.source)?.name == "cni0")
        }
    }

    @Test("a memo over its limit starts over and stays right")
    func overLimit() {
        var memo = DiagnosisMemo()
        var flow = Self.stuckV4
        let since = WallTime(nanoseconds: 1_800_000_000 * Self.second)
        let on: BridgeNetfilterState = [.ipv4: true]
        for round in 0..<2 {
            for timeout in UInt32(0)..<UInt32(DiagnosisMemo.limit * 2 + 7) {
                flow.timeout = timeout
                let kept = StuckRules.diagnose(
                    flow, bridgeNetfilter: on, namespace: .current, since: since, memo: &memo)
                #expect(kept.explanation.contains("expires in \(timeout) s"), "round \(round)")
            }
        }
    }

    @Test("diagnoses compare and hash by their texts")
    func equality() {
        let a = Diagnosis(code: "unknown", explanation: "text", fix: nil)
        #expect(a == Diagnosis(code: "unknown", explanation: "text", fix: nil))
        #expect(a.hashValue == Diagnosis(code: "unknown", explanation: "text", fix: nil).hashValue)
        #expect(a != Diagnosis(code: "unknown", explanation: "text", fix: ""))
        #expect(a != Diagnosis(code: "hairpin", explanation: "text", fix: nil))
        #expect(a != Diagnosis(code: "unknown", explanation: "text.", fix: nil))
        #expect(Set([a, Diagnosis(code: "unknown", explanation: "text", fix: nil), .hairpin]).count == 2)
    }
}
