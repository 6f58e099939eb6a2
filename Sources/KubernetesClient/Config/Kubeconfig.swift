import Foundation
import Yams

/// Kubeconfig is the part of one kubeconfig file that ctwatch uses: its
/// clusters, users and contexts by name, and the current context. Other fields
/// (preferences, extensions) are not decoded.
struct Kubeconfig: Decodable {
    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
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
            var provideClusterInfo: Bool?
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

    /// load reads and decodes the kubeconfig at `path`: YAML, or JSON (which
    /// is tried first when the file starts with `{`, as JSON may hold tabs, which
    /// YAML refuses). An empty file is an empty kubeconfig, as for kubectl.
    static func load(_ path: String) throws(ClusterConfigError) -> Kubeconfig {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path)
        } catch {
            throw .unreadableFile(path: path, what: "kubeconfig", reason: error.reason)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return Kubeconfig() }
        if trimmed.hasPrefix("{"), let decoded = try? JSONDecoder().decode(Kubeconfig.self, from: Data(bytes)) {
            return decoded
        }
        do {
            return try YAMLDecoder().decode(Kubeconfig.self, from: text)
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
