import Conntrack
import Foundation

/// StuckScan is `ctwatch stuck`: find ClusterIP DNAT flows stuck unreplied
/// between pods of one bridge subnet, name the pods, give the cause. Read-only:
/// it never changes a sysctl or the table.
public enum StuckScan {
    public struct Options: Sendable {
        public var namespace: NetworkNamespace = .current
        /// Bridge subnets; empty: discovered from the namespace's bridge interfaces.
        public var subnets: [CIDR] = []
        public var serviceRanges: [CIDR] = []
        /// Also find flows DNAT'ed without the DST_NAT bit (see StuckRules.anyDNAT).
        public var anyDNAT = false
        public var minAge: Double = 3
        public var pods = PodDirectory()
        public var services = ServiceDirectory()
        public var watch = false
        /// Seconds between re-dumps in watch mode.
        public var resyncInterval: Double = 10
        /// Watch mode: stop after this many seconds.
        public var duration: Double?
        public var format: OutputFormat = .text
        public var verbose = false
        public var bufferSize = 64 << 20
        public var maxBufferSize = 512 << 20
        public init() {}
    }

    /// Errors of the scan itself, each one line that says what to do.
    public struct ScanError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a scan found: the number of stuck flows reported.
    public struct Outcome: Sendable {
        public var stuck = 0
        public var cleared = 0
    }



    /// What the scan learned of the namespace before looking at flows.
    struct Context {
        var conntrack: Conntrack
        var rules: StuckRules
        var bridgeNetfilter: [IPAddress.Family: Bool]
    }

    public static func run(_ options: Options, sink: LineSink) async throws -> Outcome {
        let context = try prepare(options)
        if options.watch {
            return try await Watcher(options: options, context: context, sink: sink).run()
        }
        return try await scanOnce(options, context: context, sink: sink)
    }

    static func prepare(_ options: Options) throws -> Context {
        let conntrack = try Conntrack(namespace: options.namespace)
        var subnets = options.subnets
        if subnets.isEmpty {
            let bridges = try conntrack.interfaces().filter(\.isBridge)
            var found: [String] = []
            for bridge in bridges {
                for address in bridge.addresses where !isLinkLocal(address.address) {
                    if !subnets.contains(address.subnet) {
                        subnets.append(address.subnet)
                        found.append("\(address.subnet) (\(bridge.name))")
                    }
                }
            }
            guard !subnets.isEmpty else {
                throw ScanError(description:
                    "no bridge interface with an address in \(options.namespace): give the pod subnet with --cidr (e.g. --cidr 10.224.1.0/24)")
            }
            Diagnostics.line("using the bridge subnets of \(options.namespace): \(found.joined(separator: ", ")) (give --cidr to choose)")
        }
        for range in options.serviceRanges where !subnets.contains(where: { $0.family == range.family }) {
            throw ScanError(description:
                "--service-cidr \(range) is \(range.family == .ipv4 ? "IPv4" : "IPv6") but no bridge subnet of "
                    + "\(options.namespace) is: give a --cidr of that family, or leave the --service-cidr out")
        }
        return Context(
            conntrack: conntrack,
            rules: StuckRules(subnets: subnets, serviceRanges: options.serviceRanges, anyDNAT: options.anyDNAT),
            bridgeNetfilter: try bridgeNetfilter(conntrack))
    }

    /// Whether bridged traffic passes iptables / ip6tables (absent: br_netfilter not loaded).
    static func bridgeNetfilter(_ conntrack: Conntrack) throws -> [IPAddress.Family: Bool] {
        let values = try conntrack.sysctls(BridgeNetfilter.sysctls)
        var result: [IPAddress.Family: Bool] = [:]
        for family in [IPAddress.Family.ipv4, .ipv6] {
            if let value = values[BridgeNetfilter.sysctl(family)] { result[family] = value != "0" }
        }
        return result
    }

    static func isLinkLocal(_ ip: IPAddress) -> Bool {
        ip.family == .ipv6 && ip.high >> 54 == 0x3fa  // fe80::/10
    }

    /// Dumps the DNAT'ed unreplied entries into the tracker; returns what became stuck on sight.
    @discardableResult
    static func dump(_ context: Context, into tracker: inout StuckTracker) throws -> [StuckTracker.Change] {
        tracker.beginDump()
        var changes: [StuckTracker.Change] = []
        try context.conntrack.dump(filter: context.rules.dumpFilter) { batch in
            let now = WallTime.now().nanoseconds
            for flow in batch {
                if let change = tracker.observe(flow, now: now, fromDump: true) { changes.append(change) }
            }
        }
        return changes
    }

    static func finding(_ change: StuckTracker.Change, options: Options, context: Context) -> StuckFinding {
        switch change {
        case .stuck(let flow, let since, let age, let subnet):
            return make(flow, since: since, age: age, subnet: subnet, cleared: nil, options: options, context: context)
        case .cleared(let flow, let since, let age, let reason):
            let subnet = context.rules.subnets.first { $0.contains(flow.original.source) }
                ?? CIDR(address: flow.original.source, prefixLength: flow.family == .ipv4 ? 32 : 128)
            return make(flow, since: since, age: age, subnet: subnet, cleared: reason, options: options, context: context)
        }
    }

    private static func make(
        _ flow: Flow, since: WallTime, age: UInt64, subnet: CIDR, cleared: StuckTracker.ClearReason?,
        options: Options, context: Context
    ) -> StuckFinding {
        StuckFinding(
            flow: flow, since: since, age: age, ageFromKernel: flow.startNanoseconds != nil, subnet: subnet,
            attribution: Attribution(
                sourcePod: options.pods.pod(for: flow.original.source),
                backendPod: options.pods.pod(for: flow.reply.source),
                service: options.services.service(
                    for: flow.original.destination, port: flow.original.destinationPort,
                    transport: flow.transport.description)),
            diagnosis: StuckRules.diagnose(flow, bridgeNetfilter: context.bridgeNetfilter, namespace: options.namespace),
            cleared: cleared)
    }

    /// One look (two when ages must be observed): report what is stuck now.
    /// JSON lines stream out while the dump is still being received (it runs
    /// on a thread of its own); the text table waits for all, to sort it.
    static func scanOnce(_ options: Options, context: Context, sink: LineSink) async throws -> Outcome {
        var tracker = StuckTracker(rules: context.rules, minAgeSeconds: options.minAge)
        var emitter = Emitter(options: options, context: context, sink: sink)
        do {
            for try await batch in context.conntrack.dumpBatches(filter: context.rules.dumpFilter) {
                let now = WallTime.now().nanoseconds
                for flow in batch {
                    if let change = tracker.observe(flow, now: now, fromDump: true) { try emitter.add(change) }
                }
                try emitter.flushJSON()
            }
            if tracker.waitingForObservation(now: WallTime.now().nanoseconds) {
                // Without the kernel's start time an age is a guess: watch the same
                // entries (same id and tuple) for --min-age instead.
                Diagnostics.line(
                    "some unreplied flows in \(options.namespace) carry no kernel start time "
                        + "(net.netfilter.nf_conntrack_timestamp=1 gives new entries one): watching them for "
                        + "\(formatSeconds(options.minAge)) s (--min-age) before reporting them")
                try await Task.sleep(for: .seconds(options.minAge))
                for change in try dump(context, into: &tracker) { try emitter.add(change) }
                let now = WallTime.now().nanoseconds
                _ = tracker.endDump(now: now, missesToForget: 1)
                for change in tracker.due(now: now) { try emitter.add(change) }
            }
            try emitter.finish()
        } catch LineSink.Failure.readerGone {}
        return Outcome(stuck: emitter.count)
    }

    /// Emitter writes findings: JSON at once, text as a sorted table at the end.
    struct Emitter {
        let options: Options
        let context: Context
        let sink: LineSink
        var json: JSONWriter<ByteBuffer>
        var table: [StuckFinding] = []
        var count = 0
        var diagnosisFragments = DiagnosisFragments()

        init(options: Options, context: Context, sink: LineSink) {
            self.options = options
            self.context = context
            self.sink = sink
            json = JSONWriter(output: sink.buffer)
        }

        mutating func add(_ change: StuckTracker.Change) throws {
            let item = StuckScan.finding(change, options: options, context: context)
            count += 1
            if options.format == .json {
                StuckReport.appendJSON(item, time: WallTime.now(), fragments: &diagnosisFragments, into: &json)
                try sink.lineAppended()
            } else {
                table.append(item)
            }
        }

        func flushJSON() throws {
            if options.format == .json { try sink.flush() }
        }

        func finish() throws {
            if options.format == .text {
                if table.isEmpty {
                    try sink.appendLine(
                        "No DNAT'ed flows stuck unreplied in \(context.rules.subnets.map(\.description).joined(separator: ", ")).")
                } else {
                    for line in StuckReport.table(table.sorted { $0.age > $1.age }) { try sink.appendLine(line) }
                }
            }
            try sink.flush()
        }
    }

    static func formatSeconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
