import ArgumentParser
import CTWatchCore
import Conntrack

/// KubeDocumentOption checks `--pods` and `--services` before anything runs,
/// so a wrong file is named by its option and no scan starts for nothing.
/// The read itself (`DocumentFile.read`) checks again: this is for the message.
enum KubeDocumentOption {
    static func check(_ path: String?, option: String, subject: String) throws {
        guard let path else { return }
        if path.isEmpty {
            throw ValidationError(
                "\(option) needs a file path (the output of \(KubeDocumentError.command(for: subject))), or - for standard input"
            )
        }
        if path == "-" {
            if StandardStreams.inputWasClosed {
                throw ValidationError(
                    "\(option) -: standard input is closed; pipe the output of \(KubeDocumentError.command(for: subject)) into ctwatch"
                )
            }
            return
        }
        do {
            try DocumentFile.check(path, subject: subject)
        } catch {
            throw ValidationError(error.description(source: "\(option) \(UsageMessage.shown(path))"))
        }
    }
}
