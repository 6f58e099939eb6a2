import ArgumentParser
import CTWatchCore

struct StuckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stuck", abstract: "Find DNAT'ed flows stuck unreplied.")
    func run() async throws {}
}
