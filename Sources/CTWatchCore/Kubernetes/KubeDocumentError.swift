import Conntrack
import FoundationEssentials

/// KubeDocumentError says, in one line, why a pods or services document
/// could not be used and what was expected instead, e.g.
/// `pods file "pods.json": expected kind List/PodList/Pod, got "Deployment"`.
public struct KubeDocumentError: Error, Hashable, Sendable, CustomStringConvertible, LocalizedError {
    /// Reason is what went wrong, independent of the wording.
    public enum Reason: Hashable, Sendable {
        /// The file could not be read; carries the system's message
        /// (`No such file or directory`).
        case unreadable(String)
        /// A path that is not a regular file (nor a pipe the shell holds open):
        /// carries what it is, `a named pipe (FIFO)`, `a character device`.
        case notAFile(String)
        /// More than `limit` bytes (`KubeDocument.sizeLimit`).
        case tooLarge(limit: Int)
        /// Zero bytes, or only whitespace.
        case empty
        /// Not JSON; carries the parser's message (with its position) and
        /// the start of the text, which is usually a kubectl error or YAML.
        case notJSON(detail: String, start: String)
        /// Valid JSON, but not an object (an array, a string, ...).
        case notAnObject
        /// An object whose `kind` is not one of `expected`; nil when it has no `kind`.
        case wrongKind(found: String?, expected: [String])
        /// A List holding only objects of other kinds (`kubectl get deploy -o json`).
        case wrongItemKinds(found: [String], expected: [String])
        /// A field of the wrong type, at a path like `items[3].status.podIPs`.
        case malformed(path: String, detail: String)
    }

    /// What the document should hold, plural: `pods`, `services`.
    public let subject: String
    /// The file it came from: nil for data given directly, `-` for standard input.
    public let path: String?
    public let reason: Reason

    public init(subject: String, path: String?, reason: Reason) {
        self.subject = subject
        self.path = path
        self.reason = reason
    }

    /// The same error, naming the file it came from.
    func from(path: String) -> KubeDocumentError {
        KubeDocumentError(subject: subject, path: path, reason: reason)
    }

    /// The kubectl command that produces a valid document, for hints.
    private var command: String { Self.command(for: subject) }

    /// command is the kubectl command that prints a document of `subject`
    /// (`pods`, `services`): `kubectl get svc -A -o json`.
    public static func command(for subject: String) -> String {
        "kubectl get \(subject == "services" ? "svc" : subject) -A -o json"
    }

    /// Where the document came from: `pods file "x"`, `pods on standard input`, `pods document`.
    private var source: String {
        switch path {
        case nil: "\(subject) document"
        case "-": "\(subject) on standard input"
        case let path?: "\(subject) file \(DiagnosticText.quoted(path))"
        }
    }

    public var description: String { description(source: source) }

    /// description(source:) is the message with the document named by the
    /// caller, as a command line names it: `--pods "x" is larger than 64 MiB ...`.
    public func description(source: String) -> String {
        switch reason {
        case .unreadable(let message):
            return "cannot read \(source): \(message)"
        case .notAFile(let kind):
            return "\(source) is \(kind), not a regular file: save the output of \(command) to a file "
                + "(at most \(Self.size(KubeDocument.sizeLimit))), or pipe it to standard input"
        case .tooLarge(let limit):
            let hint =
                subject == "pods"
                ? "list only this node's pods: \(command) --field-selector spec.nodeName=NODE"
                : "list fewer objects, e.g. one namespace with -n NAMESPACE"
            return "\(source) is larger than \(Self.size(limit)), the most ctwatch reads: \(hint)"
        case .empty:
            return "\(source): empty; expected the output of \(command)"
        case .notJSON(let detail, let start):
            let hint =
                start.hasPrefix("apiVersion:") || start.hasPrefix("---") || start.hasPrefix("items:")
                ? "this looks like YAML; use \(command)"
                : "expected the output of \(command)"
            return "\(source): not JSON (\(detail)), it starts with \(DiagnosticText.quoted(start)); \(hint)"
        case .notAnObject:
            return "\(source): expected a JSON object, the output of \(command)"
        case .wrongKind(let found?, let expected):
            return "\(source): expected kind \(expected.joined(separator: "/")), got \(DiagnosticText.quoted(found))"
        case .wrongKind(nil, let expected):
            return "\(source): expected kind \(expected.joined(separator: "/")), got an object without \"kind\""
        case .wrongItemKinds(let found, let expected):
            let kinds = found.map(DiagnosticText.quoted).joined(separator: ", ")
            return "\(source): expected kind \(expected.joined(separator: "/")), got a List of \(kinds)"
        case .malformed(let path, let detail):
            return "\(source): unexpected value at \(path): \(detail)"
        }
    }

    /// `64 MiB` for 64 << 20; bytes when not a whole number of MiB.
    private static func size(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// errorDescription makes `localizedDescription` the same one line.
    public var errorDescription: String? { description }
}
