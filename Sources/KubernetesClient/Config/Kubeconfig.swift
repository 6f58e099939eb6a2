import Conntrack
import FoundationEssentials

/// Kubeconfig is the part of one kubeconfig file that ctwatch uses: its
/// clusters, users and contexts by name, and the current context. Other fields
/// (preferences, extensions) are not decoded.
struct Kubeconfig: Decodable {
    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Flag?
        var tlsServerName: String?
        var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
            case proxyURL = "proxy-url"
        }
    }

    struct User: Decodable {
        struct AuthProvider: Decodable {
            var name: String?
        }

        struct Exec: Decodable {
            struct Variable: Decodable {
                var name: String
                var value: String
            }
            var apiVersion: String?
            var command: String?
            var args: [String]?
            var env: [Variable]?
            var installHint: String?
            var provideClusterInfo: Flag?
            var interactiveMode: String?
        }

        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var token: String?
        var tokenFile: String?
        var impersonate: String?
        var username: String?
        var password: String?
        var authProvider: AuthProvider?
        var exec: Exec?

        enum CodingKeys: String, CodingKey {
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case token
            case tokenFile
            case impersonate = "as"
            case username
            case password
            case authProvider = "auth-provider"
            case exec
        }
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster?
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User?
    }

    struct NamedContext: Decodable {
        var name: String
        var context: Context?
    }

    var clusters: [NamedCluster]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters
        case users
        case contexts
        case currentContext = "current-context"
    }

    /// Flag is a kubeconfig boolean: `true` or `false` in JSON, or any of
    /// YAML 1.1's spellings (`yes`, `On`, ...), as kubectl's YAML reader takes them.
    struct Flag: Decodable, Equatable {
        var value: Bool

        init(_ value: Bool) { self.value = value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self.value = value
                return
            }
            switch try container.decode(String.self) {
            case "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON": value = true
            case "false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF": value = false
            case let text:
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected true or false, found \(DiagnosticText.quoted(text))")
            }
        }
    }

    /// load reads and decodes the kubeconfig at `path`: YAML, or JSON (which
    /// is tried first when the file starts with `{`, as JSON may hold tabs, which
    /// YAML refuses). An empty file is an empty kubeconfig, as for kubectl.
    ///
    /// YAML is read by libyaml into nodes, written out as JSON (every scalar a
    /// string but for nulls, so a plain `12345` stays a string where one is
    /// expected) and decoded from that by JSONDecoder.
    static func load(_ path: String) throws(ClusterConfigError) -> Kubeconfig {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path)
        } catch {
            throw .unreadableFile(path: path, what: "kubeconfig", reason: error.reason)
        }
        if bytes.first(where: { !Character(Unicode.Scalar($0)).isWhitespace }) == UInt8(ascii: "{"),
            let decoded = try? JSONDecoder().decode(Kubeconfig.self, from: Data(bytes))
        {
            return decoded
        }
        do {
            guard let root = try YAMLParser.parse(bytes) else { return Kubeconfig() }
            if root == .null { return Kubeconfig() }
            return try JSONDecoder().decode(Kubeconfig.self, from: JSONEncoder().encode(root))
        } catch let error as YAMLSyntaxError {
            throw .malformedKubeconfig(path: path, reason: error.description)
        } catch {
            throw .malformedKubeconfig(path: path, reason: Self.oneLine(error))
        }
    }

    init() {}

    private static func oneLine(_ error: any Error) -> String {
        let text: String
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.keyNotFound(_, let context), DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            text = (path.isEmpty ? "" : "at \(path): ") + context.debugDescription + underlying
        default:
            text = "\(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// A YAML node as JSON: scalars as strings, nulls as null, mappings as
/// objects (of a key given twice, the later value).
extension YAMLNode: Encodable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .scalar(let text, _):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .sequence(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .mapping(let entries):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in entries {
                switch key {
                case .scalar(let text, _): try container.encode(value, forKey: Key(stringValue: text))
                case .null: try container.encode(value, forKey: Key(stringValue: "null"))
                case .sequence, .mapping:
                    throw EncodingError.invalidValue(
                        key,
                        EncodingError.Context(
                            codingPath: container.codingPath, debugDescription: "a key that is a list or a map"))
                }
            }
        }
    }
}
