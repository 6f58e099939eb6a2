import Conntrack
import FoundationEssentials

/// CredentialError says why no token could be had for a request, in one line
/// naming the token file or the credential plugin and what to do. It never
/// holds a token.
public enum CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The token file could not be read.
    case tokenFileUnreadable(path: String, reason: String)
    /// The token file holds nothing but white space.
    case tokenFileEmpty(path: String)
    /// The plugin could not be started (not installed, not executable).
    case pluginNotStarted(command: String, origin: String, reason: String, installHint: String?)
    /// The plugin exited with a failure status or was ended by a signal.
    case pluginFailed(command: String, origin: String, status: String, stderr: String, installHint: String?)
    /// The plugin did not finish within the deadline and was killed.
    case pluginTimedOut(command: String, origin: String, seconds: Int)
    /// The plugin's standard output is not an ExecCredential with a token.
    case pluginBadOutput(command: String, origin: String, problem: String)

    public var description: String {
        switch self {
        case .tokenFileUnreadable(let path, let reason):
            return "cannot read the token file \(path): \(reason)"
        case .tokenFileEmpty(let path):
            return "the token file \(path) is empty: write the token into it"
        case .pluginNotStarted(let command, let origin, let reason, let installHint):
            return "the credential plugin \(command) (\(origin)) could not be started: \(reason)"
                + Self.hint(installHint, otherwise: "install it or fix exec.command in the kubeconfig")
        case .pluginFailed(let command, let origin, let status, let stderr, let installHint):
            return "the credential plugin \(command) (\(origin)) \(status)"
                + (stderr.isEmpty ? " and wrote nothing on stderr" : ": \(stderr)")
                + Self.hint(installHint, otherwise: "run it by hand to see why")
        case .pluginTimedOut(let command, let origin, let seconds):
            return "the credential plugin \(command) (\(origin)) gave no answer within \(seconds) s and was killed:"
                + " run it by hand to see whether it waits for input or the network"
        case .pluginBadOutput(let command, let origin, let problem):
            return "the credential plugin \(command) (\(origin)) \(problem)"
        }
    }

    private static func hint(_ installHint: String?, otherwise: String) -> String {
        guard let installHint else { return ": \(otherwise)" }
        return ": "
            + installHint.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
