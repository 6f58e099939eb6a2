import ArgumentParser
import CTWatchCore

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "Check the node's conntrack settings.")
    func run() async throws {}
}
