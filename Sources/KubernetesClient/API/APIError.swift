import FoundationEssentials

/// APIError is a request to the Kubernetes API that did not get what it asked for.
///
/// Its description is one line that names the request (verb and resource,
/// never a token) and, for 401 and 403, what to do.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The server answered with an HTTP status other than 200, with the
        /// Status object's reason and message when its body held one.
        case status(code: Int, reason: String?, message: String?)
        /// A watch stream said ERROR with a Status (410 Gone: relist).
        case watchError(code: Int, reason: String?, message: String?)
        /// The connection failed, timed out or broke off.
        case transport(String)
        /// The body was not what the API sends.
        case malformed(String)
    }

    /// What was asked: `list`, `watch`.
    public let verb: String
    /// The resource path asked for, without its query (`/api/v1/pods`).
    public let path: String
    public let reason: Reason

    public init(verb: String, path: String, reason: Reason) {
        self.verb = verb
        self.path = path
        self.reason = reason
    }

    /// The HTTP or Status code, when the server gave one.
    public var code: Int? {
        switch reason {
        case .status(let code, _, _), .watchError(let code, _, _): code
        case .transport, .malformed: nil
        }
    }

    /// Whether the resourceVersion asked for is too old: the caller must list again.
    public var isGone: Bool { code == 410 }

    /// Whether the server refused the credentials (401) or the permission (403).
    public var isRefused: Bool { code == 401 || code == 403 }

    /// The resource's plural name, the last part of the path (`pods`, `endpointslices`).
    public var resource: String { String(path.split(separator: "/").last ?? Substring(path)) }

    public var description: String {
        let request = "\(verb) \(resource) (\(path))"
        switch reason {
        case .status(401, _, let message):
            return "the Kubernetes API refused the credentials to \(request)\(message.map { ": \($0)" } ?? ""): "
                + "check the kubeconfig's user or the service-account token"
        case .status(403, _, let message):
            return "the Kubernetes API forbids \(request)\(message.map { ": \($0)" } ?? ""): "
                + "bind ctwatch's service account to a ClusterRole that grants get, list and watch on pods, "
                + "services and discovery.k8s.io endpointslices, and get, list and watch on nodes (deploy/ has one)"
        case .status(let code, let reason, let message), .watchError(let code, let reason, let message):
            let detail = [reason, message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return "\(request) got \(code)\(detail.isEmpty ? "" : " (\(detail))")"
        case .transport(let text):
            return "\(request) failed: \(text)"
        case .malformed(let text):
            return "\(request) got a malformed answer: \(text)"
        }
    }
}
