/// NetworkNamespace says which network namespace a handle works in.
///
/// `named("node")` is a namespace as `ip netns` knows it (`/run/netns/node`);
/// `path("/proc/1234/ns/net")` is any namespace file. Entering one moves only
/// the thread that opens the sockets, and only while it opens them.
public enum NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    case current
    case named(String)
    case path(String)

    /// Parses a `--netns` value: an absolute or relative path when it contains
    /// a `/`, otherwise a name under `/run/netns`.
    public init(argument: String) {
        if argument.isEmpty {
            self = .current
        } else if argument.contains("/") {
            self = .path(argument)
        } else {
            self = .named(argument)
        }
    }

    /// The file that holds the namespace, nil for the current one.
    public var filePath: String? {
        switch self {
        case .current: nil
        case .named(let name): "/run/netns/" + name
        case .path(let path): path
        }
    }

    public var description: String {
        switch self {
        case .current: "the current network namespace"
        case .named(let name): "network namespace \(name)"
        case .path(let path): "network namespace \(path)"
        }
    }
}
