import FoundationEssentials

/// WatchEvent is one event of a Kubernetes watch stream, typed.
public enum WatchEvent<Object: ClusterResource>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// Only the resourceVersion to resume from is meaningful.
    case bookmark(resourceVersion: String?)
    /// The server ended the watch with a Status; code 410 means relist.
    case error(KubeStatus)

    /// The resourceVersion to resume a watch from after this event; nil for an error.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.resourceVersion
        case .bookmark(let version): version
        case .error: nil
        }
    }
}

/// KubeStatus is the part of a `Status` object (an ERROR event's object,
/// or an error response's body) ctwatch reads.
public struct KubeStatus: Sendable, Hashable, Decodable {
    public var code: Int?
    /// `Expired`, `Gone`, `Forbidden`, ...
    public var reason: String?
    public var message: String?

    public init(code: Int? = nil, reason: String? = nil, message: String? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
    }

    /// isGone is true when the resourceVersion is too old to watch from: relist.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
}

/// WatchEventDecoder decodes one line of a watch stream,
/// `{"type":"ADDED","object":{...}}`, into a `WatchEvent`.
public struct WatchEventDecoder<Object: ClusterResource>: Sendable {
    public init() {}

    public func decode(_ line: some Collection<UInt8>) throws(KubeStreamError) -> WatchEvent<Object> {
        do {
            return try JSONDecoder().decode(Envelope.self, from: Data(line)).event
        } catch {
            let (path, detail) = KubeStreamError.explain(error)
            throw KubeStreamError(.undecodableEvent(path: path, detail: detail))
        }
    }

    private struct Envelope: Decodable {
        let event: WatchEvent<Object>

        private enum Key: String, CodingKey { case type, object }

        private struct Bookmark: Decodable {
            var metadata: Metadata?
            struct Metadata: Decodable { var resourceVersion: String? }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            let type = try container.decode(String.self, forKey: .type)
            switch type {
            case "ADDED": event = .added(try container.decode(Object.self, forKey: .object))
            case "MODIFIED": event = .modified(try container.decode(Object.self, forKey: .object))
            case "DELETED": event = .deleted(try container.decode(Object.self, forKey: .object))
            case "BOOKMARK":
                event = .bookmark(
                    resourceVersion: try container.decodeIfPresent(Bookmark.self, forKey: .object)?.metadata?
                        .resourceVersion)
            case "ERROR":
                event = .error(try container.decodeIfPresent(KubeStatus.self, forKey: .object) ?? KubeStatus())
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container, debugDescription: "unknown event type \(type)")
            }
        }
    }
}
