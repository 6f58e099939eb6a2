import ArgumentParser
import CTWatchCore
import Conntrack
import FoundationEssentials

/// Where the names of pods and Services come from, for `events`, `list` and
/// `stuck`: the Kubernetes API (`--kubernetes`), or `kubectl ... -o json`
/// files (`--pods`, `--services`, `--endpoints`), or nowhere.
struct KubernetesOptions: ParsableArguments {
    @Flag(
        help: """
            Read pods (of this node), Services, EndpointSlices and this Node from the Kubernetes API: in-cluster \
            configuration in a pod, else the kubeconfig ($KUBECONFIG, ~/.kube/config).
            """)
    var kubernetes = false

    @Option(help: ArgumentHelp("Kubeconfig to read (implies --kubernetes).", valueName: "path"))
    var kubeconfig: String?

    @Option(help: ArgumentHelp("Kubeconfig context to use. Default: its current-context.", valueName: "name"))
    var context: String?

    @Option(
        help: ArgumentHelp(
            "This node's name, for its pods and NodePorts. Default: $NODE_NAME, then the host name.",
            valueName: "name"))
    var node: String?

    @Option(
        name: .customLong("kubernetes-timeout"), parsing: .unconditional,
        help: ArgumentHelp(
            "How long list and stuck wait for the API's first answer before they go on without names (events never waits). (default: 10)",
            valueName: "seconds"),
        transform: Seconds.positive)
    var timeoutArgument: Double?

    @Option(
        help: ArgumentHelp(
            "`kubectl get pods -A -o json` output, or - for stdin: names the pods. A file of at most 64 MiB.",
            valueName: "file"))
    var pods: String?

    @Option(
        help: ArgumentHelp(
            "`kubectl get svc -A -o json` output, or - for stdin: names the services. A file of at most 64 MiB.",
            valueName: "file"))
    var services: String?

    @Option(
        help: ArgumentHelp(
            "`kubectl get endpointslices -A -o json` output, or - for stdin: the Services' endpoints. At most 64 MiB.",
            valueName: "file"))
    var endpoints: String?

    /// Whether the API is the source.
    var live: Bool { kubernetes || kubeconfig != nil }

    var timeout: Double { timeoutArgument ?? 10 }

    func validate() throws {
        let files = [
            ("--pods", pods, "pods"), ("--services", services, "services"),
            ("--endpoints", endpoints, "endpointslices"),
        ]
        if live, let (option, _, _) = files.first(where: { $0.1 != nil }) {
            throw ValidationError(
                "\(option) and --kubernetes are two sources of the same names: use one (the API, or the files)")
        }
        if !live {
            for (option, given) in [
                ("--context", context != nil), ("--node", node != nil),
                ("--kubernetes-timeout", timeoutArgument != nil),
            ] where given {
                throw ValidationError("\(option) goes with --kubernetes: add --kubernetes, or leave \(option) out")
            }
        }
        if files.filter({ $0.1 == "-" }).count > 1 {
            throw ValidationError("only one of --pods, --services and --endpoints can read stdin")
        }
        for (option, path, subject) in files {
            try KubeDocumentOption.check(path, option: option, subject: subject)
        }
        if kubeconfig?.isEmpty == true { throw ValidationError("--kubeconfig needs a file path") }
        if context?.isEmpty == true {
            throw ValidationError("--context needs a context name (kubectl config get-contexts)")
        }
        if node?.isEmpty == true { throw ValidationError("--node needs a node name (kubectl get nodes)") }
    }

    /// The node's name: --node, $NODE_NAME, then the host name.
    var nodeName: String {
        if let node { return node }
        if let name = ProcessInfo.processInfo.environment["NODE_NAME"], !name.isEmpty { return name }
        return Syscalls.hostName().lowercased()
    }
}
