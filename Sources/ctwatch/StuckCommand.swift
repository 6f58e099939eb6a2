import ArgumentParser
import CTWatchCore
import Conntrack

struct StuckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stuck",
        abstract: "Find ClusterIP DNAT flows stuck unreplied between pods of one bridge subnet, name the pods, give the cause.",
        discussion: """
            A flow is stuck when it is DNAT'ed, saw no reply for --min-age seconds, its source and its \
            backend (the reply source) lie in the same --cidr, and its destination is a service address \
            (inside --service-cidr, or outside the bridge subnet). Exit status: 0 nothing stuck, 1 stuck \
            flows found, 2 error. Read-only: ctwatch changes no sysctl and no entry.
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp(
        "Bridge (pod) subnet, repeatable, IPv4 or IPv6. Default: the subnets of the namespace's bridge interfaces.",
        valueName: "cidr"))
    var cidr: [String] = []

    @Option(name: .customLong("service-cidr"), help: ArgumentHelp(
        "Service (ClusterIP) range, repeatable. Default: any destination outside the bridge subnet.", valueName: "cidr"))
    var serviceCIDR: [String] = []

    @Option(name: .customLong("min-age"), parsing: .unconditional,
            help: ArgumentHelp("Report flows unreplied for at least this long.", valueName: "seconds"))
    var minAge: Double = 3

    @Flag(name: .customLong("any-dnat"), help: """
        Also find flows DNAT'ed without the DST_NAT status bit (IPVS, NAT outside nf_nat): the kernel then returns \
        every unreplied entry and ctwatch checks the tuples; slower on large tables.
        """)
    var anyDNAT = false

    @Option(help: ArgumentHelp("`kubectl get pods -A -o json` output, or - for stdin: names the pods.", valueName: "file"))
    var pods: String?

    @Option(help: ArgumentHelp("`kubectl get svc -A -o json` output: names the services.", valueName: "file"))
    var services: String?

    @Flag(help: "Keep running: report each stuck flow once when it crosses --min-age, and once more when it clears.")
    var watch = false

    @Option(name: .customLong("resync-interval"), help: ArgumentHelp("With --watch: seconds between re-dumps.", valueName: "seconds"))
    var resyncInterval: Double = 10

    @Option(help: ArgumentHelp("With --watch: exit after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @OptionGroup(title: "With --watch") var buffer: BufferOptions

    @Flag(name: .shortAndLong, help: "Say more on stderr.")
    var verbose = false

    func validate() throws {
        _ = try ranges()
        try Seconds.check(minAge, "--min-age", allowZero: true)
        try Seconds.check(resyncInterval, "--resync-interval")
        if let duration { try Seconds.check(duration, "--duration") }
        if pods == "-" && services == "-" { throw ValidationError("--pods and --services cannot both read stdin") }
        if duration != nil && !watch { throw ValidationError("--duration goes with --watch") }
    }

    func ranges() throws -> (subnets: [CIDR], services: [CIDR]) {
        let subnets = try cidr.map { try CIDR(parsing: $0) }
        let services = try serviceCIDR.map { try CIDR(parsing: $0) }
        if !subnets.isEmpty {
            for range in services where !subnets.contains(where: { $0.family == range.family }) {
                throw ValidationError(
                    "--service-cidr \(range) is \(range.family == .ipv4 ? "IPv4" : "IPv6") but no --cidr is: "
                        + "give a --cidr of that family too, or leave the --service-cidr out")
            }
        }
        return (subnets, services)
    }

    func run() async throws {
        var options = StuckRun.Options()
        options.scan.namespace = namespace.namespace
        (options.scan.subnets, options.scan.serviceRanges) = try ranges()
        options.scan.minAge = minAge
        if let pods { options.scan.pods = try PodDirectory(path: pods) }
        if let services { options.scan.services = try ServiceDirectory(path: services) }
        options.scan.anyDNAT = anyDNAT
        options.watch = watch
        options.resyncInterval = resyncInterval
        options.duration = duration
        options.format = output.format
        options.verbose = verbose
        options.bufferSize = buffer.bufferSize
        options.maxBufferSize = buffer.limit
        let status = try await StuckRun.run(options)
        if status != ExitStatus.ok { throw ExitCode(status) }
    }
}
