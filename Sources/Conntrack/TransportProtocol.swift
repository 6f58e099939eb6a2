/// TransportProtocol is an IP protocol number (`CTA_PROTO_NUM`) with the
/// lowercase IANA keyword ECS `network.transport` uses.
public struct TransportProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = TransportProtocol(rawValue: 1)
    public static let igmp = TransportProtocol(rawValue: 2)
    public static let tcp = TransportProtocol(rawValue: 6)
    public static let udp = TransportProtocol(rawValue: 17)
    public static let dccp = TransportProtocol(rawValue: 33)
    public static let gre = TransportProtocol(rawValue: 47)
    public static let esp = TransportProtocol(rawValue: 50)
    public static let ah = TransportProtocol(rawValue: 51)
    public static let icmpv6 = TransportProtocol(rawValue: 58)
    public static let sctp = TransportProtocol(rawValue: 132)
    public static let udplite = TransportProtocol(rawValue: 136)

    /// The lowercase IANA keyword (`ipv6-icmp` for 58); the number for a protocol that has none.
    public var description: String {
        if let name = staticName { return name.description }
        return String(rawValue)
    }

    /// The lowercase keyword of the IANA registry "Assigned Internet Protocol
    /// Numbers" as a literal (no allocation), nil for the numbers without one
    /// (61, 63, 68, 99, 114: "any ..." placeholders; 148-252 unassigned; 253-255).
    ///
    /// Keywords are IANA's, lowercased and otherwise verbatim, because ECS asks
    /// for exactly that: `ipv4` for 4 (/etc/protocols says `ipencap`),
    /// `ospfigp` for 89, `isis over ipv4` for 124, `mobility header` for 135.
    /// Where IANA adds "(deprecated)" the keyword is the word before it; 84 has
    /// two keywords (TTP and IPTM) and the first is used.
    public var staticName: StaticString? {
        switch rawValue {
        case 0: "hopopt"
        case 1: "icmp"
        case 2: "igmp"
        case 3: "ggp"
        case 4: "ipv4"
        case 5: "st"
        case 6: "tcp"
        case 7: "cbt"
        case 8: "egp"
        case 9: "igp"
        case 10: "bbn-rcc-mon"
        case 11: "nvp-ii"
        case 12: "pup"
        case 13: "argus"
        case 14: "emcon"
        case 15: "xnet"
        case 16: "chaos"
        case 17: "udp"
        case 18: "mux"
        case 19: "dcn-meas"
        case 20: "hmp"
        case 21: "prm"
        case 22: "xns-idp"
        case 23: "trunk-1"
        case 24: "trunk-2"
        case 25: "leaf-1"
        case 26: "leaf-2"
        case 27: "rdp"
        case 28: "irtp"
        case 29: "iso-tp4"
        case 30: "netblt"
        case 31: "mfe-nsp"
        case 32: "merit-inp"
        case 33: "dccp"
        case 34: "3pc"
        case 35: "idpr"
        case 36: "xtp"
        case 37: "ddp"
        case 38: "idpr-cmtp"
        case 39: "tp++"
        case 40: "il"
        case 41: "ipv6"
        case 42: "sdrp"
        case 43: "ipv6-route"
        case 44: "ipv6-frag"
        case 45: "idrp"
        case 46: "rsvp"
        case 47: "gre"
        case 48: "dsr"
        case 49: "bna"
        case 50: "esp"
        case 51: "ah"
        case 52: "i-nlsp"
        case 53: "swipe"
        case 54: "narp"
        case 55: "min-ipv4"
        case 56: "tlsp"
        case 57: "skip"
        case 58: "ipv6-icmp"
        case 59: "ipv6-nonxt"
        case 60: "ipv6-opts"
        case 62: "cftp"
        case 64: "sat-expak"
        case 65: "kryptolan"
        case 66: "rvd"
        case 67: "ippc"
        case 69: "sat-mon"
        case 70: "visa"
        case 71: "ipcv"
        case 72: "cpnx"
        case 73: "cphb"
        case 74: "wsn"
        case 75: "pvp"
        case 76: "br-sat-mon"
        case 77: "sun-nd"
        case 78: "wb-mon"
        case 79: "wb-expak"
        case 80: "iso-ip"
        case 81: "vmtp"
        case 82: "secure-vmtp"
        case 83: "vines"
        case 84: "ttp"
        case 85: "nsfnet-igp"
        case 86: "dgp"
        case 87: "tcf"
        case 88: "eigrp"
        case 89: "ospfigp"
        case 90: "sprite-rpc"
        case 91: "larp"
        case 92: "mtp"
        case 93: "ax.25"
        case 94: "ipip"
        case 95: "micp"
        case 96: "scc-sp"
        case 97: "etherip"
        case 98: "encap"
        case 100: "gmtp"
        case 101: "ifmp"
        case 102: "pnni"
        case 103: "pim"
        case 104: "aris"
        case 105: "scps"
        case 106: "qnx"
        case 107: "a/n"
        case 108: "ipcomp"
        case 109: "snp"
        case 110: "compaq-peer"
        case 111: "ipx-in-ip"
        case 112: "vrrp"
        case 113: "pgm"
        case 115: "l2tp"
        case 116: "ddx"
        case 117: "iatp"
        case 118: "stp"
        case 119: "srp"
        case 120: "uti"
        case 121: "smp"
        case 122: "sm"
        case 123: "ptp"
        case 124: "isis over ipv4"
        case 125: "fire"
        case 126: "crtp"
        case 127: "crudp"
        case 128: "sscopmce"
        case 129: "iplt"
        case 130: "sps"
        case 131: "pipe"
        case 132: "sctp"
        case 133: "fc"
        case 134: "rsvp-e2e-ignore"
        case 135: "mobility header"
        case 136: "udplite"
        case 137: "mpls-in-ip"
        case 138: "manet"
        case 139: "hip"
        case 140: "shim6"
        case 141: "wesp"
        case 142: "rohc"
        case 143: "ethernet"
        case 144: "aggfrag"
        case 145: "nsh"
        case 146: "homa"
        case 147: "bit-emu"
        default: nil
        }
    }

    /// The ICMP message type that answers `type`, or that `type` answers (echo
    /// request and reply, ...), under this protocol (ICMP or ICMPv6); nil for a
    /// one-way message or another protocol.
    ///
    /// The pairs are the Community ID specification's (Zeek's), and `CommunityID`
    /// hashes with this table: a type without a counterpart is a one-way message.
    /// It is not how a conntrack entry's reply tuple is known: the kernel sends
    /// that tuple (`Flow.replyICMP`), inverted by its own table (`invmap` in
    /// nf_conntrack_proto_icmp.c and nf_conntrack_proto_icmpv6.c), which holds
    /// only the types it tracks.
    public func icmpCounterpart(ofType type: UInt8) -> UInt8? {
        switch (rawValue, type) {
        case (1, 8): 0  // echo request, echo reply
        case (1, 0): 8
        case (1, 13): 14  // timestamp, timestamp reply
        case (1, 14): 13
        case (1, 15): 16  // information request, reply
        case (1, 16): 15
        case (1, 10): 9  // router solicitation, router advertisement
        case (1, 9): 10
        case (1, 17): 18  // address mask request, reply
        case (1, 18): 17
        case (58, 128): 129  // echo request, echo reply
        case (58, 129): 128
        case (58, 130): 131  // multicast listener query, report
        case (58, 131): 130
        case (58, 133): 134  // router solicitation, router advertisement
        case (58, 134): 133
        case (58, 135): 136  // neighbor solicitation, neighbor advertisement
        case (58, 136): 135
        case (58, 139): 140  // node information query, reply
        case (58, 140): 139
        case (58, 144): 145  // home agent address discovery request, reply
        case (58, 145): 144
        default: nil
        }
    }

    /// Whether the protocol's tuple carries ports (TCP, UDP, SCTP, DCCP, UDP-Lite).
    public var hasPorts: Bool {
        switch rawValue {
        case 6, 17, 33, 132, 136: true
        default: false
        }
    }

    /// Parses an IANA keyword (`tcp`, `esp`, `ipv6-icmp`, ..., any case), the
    /// spellings conntrack and people use for 58 (`icmpv6`, `icmp6`) and 84's
    /// second keyword (`iptm`), or a number.
    public init?(name: String) {
        let lower = name.lowercased()
        switch lower {
        case "icmpv6", "icmp6":
            self = .icmpv6
            return
        case "iptm":
            self.init(rawValue: 84)
            return
        default: break
        }
        if let number = UInt8(lower) {
            self.init(rawValue: number)
            return
        }
        guard
            let match = (UInt8.min...UInt8.max).first(where: {
                TransportProtocol(rawValue: $0).staticName?.description == lower
            })
        else { return nil }
        self.init(rawValue: match)
    }
}
