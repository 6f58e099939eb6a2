import ArgumentParser
import CTWatchCore
import Conntrack

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the conntrack table once, like `conntrack -L`, as text or JSON lines (IPv4 and IPv6)."
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var filters: FilterOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Names from Kubernetes") var cluster: KubernetesOptions

    func run() async throws {
        try await ClusterSource.with(cluster) { source in
            await source.waitForSync(timeout: cluster.timeout)
            try await Listing.run(
                namespace: namespace.namespace, filter: filters.makeFilter(), format: output.format, cluster: source,
                sink: .standardOutput())
        }
    }
}
