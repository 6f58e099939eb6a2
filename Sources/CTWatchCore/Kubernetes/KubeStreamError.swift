/// KubeStreamError says, in one line, why a list body or a watch stream
/// from the Kubernetes API could not be read.
public struct KubeStreamError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// Not the JSON of a list: what was wrong, at a byte offset from the start of the body.
        case malformed(offset: Int, detail: String)
        /// The body ended before the list did, after this many bytes.
        case truncated(offset: Int)
        /// One entry of `items` longer than the limit.
        case itemTooLarge(limit: Int)
        /// An entry of `items` (counted from 0) that is not an object of the kind asked for.
        case undecodableItem(index: Int, path: String, detail: String)
        /// A watch line longer than the limit.
        case lineTooLong(limit: Int)
        /// A watch line that is not a watch event.
        case undecodableEvent(path: String, detail: String)
    }

    public let reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .malformed(let offset, let detail):
            "Kubernetes API list response is not a list: \(detail) at byte \(offset)"
        case .truncated(let offset):
            "Kubernetes API list response ended early, after \(offset) bytes; the list is retried"
        case .itemTooLarge(let limit):
            "Kubernetes API list response has an object larger than \(limit) bytes, the most ctwatch reads"
        case .undecodableItem(let index, let path, let detail):
            "Kubernetes API list response: items[\(index)]\(path.isEmpty ? "" : ".")\(path): \(detail)"
        case .lineTooLong(let limit):
            "Kubernetes API watch stream has an event longer than \(limit) bytes, the most ctwatch reads"
        case .undecodableEvent(let path, let detail):
            "Kubernetes API watch stream has a line that is not a watch event: \(path.isEmpty ? "" : "\(path): ")\(detail)"
        }
    }

    /// The path and a short reason for a decoding error, in our own words
    /// (Foundation's debug descriptions change between releases).
    static func explain(_ error: any Error) -> (path: String, detail: String) {
        guard let error = error as? DecodingError else { return ("", String(describing: error)) }
        let render = KubeDocument.render
        switch error {
        case .typeMismatch(_, let context):
            return (render(context.codingPath), "a value of the wrong type")
        case .valueNotFound(_, let context):
            return (render(context.codingPath), "a value missing (null)")
        case .keyNotFound(let key, let context):
            return (render(context.codingPath), "missing \(key.stringValue.debugDescription)")
        case .dataCorrupted(let context):
            return (render(context.codingPath), context.codingPath.isEmpty ? "not JSON" : "an invalid value")
        @unknown default:
            return ("", "cannot be decoded")
        }
    }
}
