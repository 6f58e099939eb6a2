import ArgumentParser
import CTWatchCore
import Conntrack

struct StuckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stuck",
        abstract:
            "Find ClusterIP DNAT flows stuck unreplied between pods of one bridge subnet, name the pods, give the cause.",
        discussion: """
            A flow is stuck when it is DNAT'ed, saw no reply for --min-age seconds, its source and its \
            backend (the reply source) lie in the same --cidr, and its destination is a service address \
            (with --kubernetes or --services: a Service's address and port, or a NodePort on the node; else inside \
            --service-cidr, or outside the bridge subnet). With the Services' endpoints known (--kubernetes or \
            --endpoints), a flow DNAT'ed to an address that is no endpoint of its Service any more is reported as \
            stale-endpoint. Exit status: 0 nothing stuck, 1 stuck \
            flows found, 2 error; a --watch ended by SIGTERM or SIGINT exits 0. Read-only: ctwatch changes no sysctl and no entry.
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var output: OutputOptions

    @Option(
        help: ArgumentHelp(
            "Bridge (pod) subnet, repeatable, IPv4 or IPv6. Default: the subnets of the namespace's bridge interfaces.",
            valueName: "cidr"), transform: CIDRArgument.parsed)
    var cidr: [CIDR] = []

    @Option(
        name: .customLong("service-cidr"),
        help: ArgumentHelp(
            "Service (ClusterIP) range, repeatable. Default: any destination outside the bridge subnet.",
            valueName: "cidr"),
        transform: CIDRArgument.parsed)
    var serviceCIDR: [CIDR] = []

    @Option(
        name: .customLong("min-age"), parsing: .unconditional,
        help: ArgumentHelp("Report flows unreplied for at least this long. (default: 3)", valueName: "seconds"),
        transform: Seconds.nonNegative)
    var minAge: Double = 3

    @Flag(
        name: .customLong("any-dnat"),
        help: """
            Also find flows DNAT'ed without the DST_NAT status bit (IPVS, NAT outside nf_nat): the kernel then returns \
            every unreplied entry and ctwatch checks the tuples; slower on large tables. On by itself where \
            kube-proxy's IPVS mode is seen (kube-ipvs0, /proc/net/ip_vs).
            """)
    var anyDNAT = false

    @OptionGroup(title: "Names from Kubernetes") var cluster: KubernetesOptions

    @Flag(help: "Keep running: report each stuck flow once when it crosses --min-age, and once more when it clears.")
    var watch = false

    @Option(
        name: .customLong("resync-interval"), parsing: .unconditional,
        help: ArgumentHelp("With --watch: seconds between re-dumps. (default: 10)", valueName: "seconds"),
        transform: Seconds.positive)
    var resyncIntervalArgument: Double?

    var resyncInterval: Double { resyncIntervalArgument ?? 10 }

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("With --watch: exit after this many seconds.", valueName: "seconds"),
        transform: Seconds.positive)
    var duration: Double?

    @OptionGroup(title: "With --watch") var buffer: BufferOptions

    @OptionGroup(title: "Metrics (with --watch)") var metricsOptions: MetricsOptions

    @Flag(name: .shortAndLong, help: "Say more on stderr.")
    var verbose = false

    func validate() throws {
        _ = try ranges()
        if !watch {
            // A one-shot scan opens no event socket and dumps once: these would be ignored.
            let watchOnly = [
                ("--duration", duration != nil), ("--resync-interval", resyncIntervalArgument != nil),
                ("--buffer-size", buffer.bufferSizeArgument != nil),
                ("--max-buffer-size", buffer.maxBufferSizeArgument != nil),
                ("--metrics-address", metricsOptions.address != nil),
            ]
            if let (option, _) = watchOnly.first(where: \.1) {
                throw ValidationError("\(option) goes with --watch: add --watch, or leave \(option) out")
            }
        }
    }

    func ranges() throws -> (subnets: [CIDR], services: [CIDR]) {
        if !cidr.isEmpty {
            for range in serviceCIDR where !cidr.contains(where: { $0.family == range.family }) {
                throw ValidationError(
                    "--service-cidr \(range) is \(range.family.displayName) but no --cidr is: "
                        + "give a --cidr of that family too, or leave the --service-cidr out")
            }
        }
        return (cidr, serviceCIDR)
    }

    func run() async throws {
        var options = StuckRun.Options()
        options.scan.namespace = namespace.namespace
        (options.scan.subnets, options.scan.serviceRanges) = try ranges()
        options.scan.minAge = minAge
        options.scan.anyDNAT = anyDNAT
        options.watch = watch
        options.resyncInterval = resyncInterval
        options.duration = duration
        options.format = output.format
        options.verbose = verbose
        options.bufferSize = buffer.bufferSize
        options.maxBufferSize = buffer.limit
        let status = try await ClusterSource.with(cluster) { source in
            options.metrics = try await MetricsService.start(
                metricsOptions.address, namespace: namespace.namespace, cluster: source)
            return try await StuckRun.run(options, cluster: source, syncTimeout: cluster.timeout)
        }
        if status != ExitStatus.ok { throw ExitCode(status) }
    }
}
