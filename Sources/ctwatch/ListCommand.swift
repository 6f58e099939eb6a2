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

    func run() async throws {
        try await Listing.run(
            namespace: namespace.namespace, filter: filters.makeFilter(), format: output.format,
            sink: .standardOutput())
    }
}
