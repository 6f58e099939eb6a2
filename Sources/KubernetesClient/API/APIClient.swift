import AsyncHTTPClient
import FoundationEssentials
import NIOCore
import NIOSSL

/// APIClient makes the GET requests of list and watch to one Kubernetes API
/// server, with its TLS settings and a fresh Authorization header for each
/// request (tokens rotate). Safe to share across tasks; `shutdown()` once.
public final class APIClient: Sendable {
    /// Options are the client's timeouts.
    public struct Options: Sendable {
        /// How long to wait for a connection.
        public var connectTimeout: Duration = .seconds(10)
        /// How long to wait for the response head of a request.
        public var headTimeout: Duration = .seconds(30)
        /// The longest silence allowed inside a body (a list that stalls). A
        /// watch is quiet for as long as nothing changes, so it must be longer
        /// than any watch's `timeoutSeconds`: a watch has its own deadline.
        public var idleTimeout: Duration = .seconds(660)
        public init() {}
    }

    /// Supplies the Authorization header value for each request (nil: none),
    /// and hears when the server refused it (so a cached token is dropped).
    public struct Authorizer: Sendable {
        public var header: @Sendable () async throws -> String?
        public var refused: @Sendable () async -> Void
        public init(
            header: @escaping @Sendable () async throws -> String?, refused: @escaping @Sendable () async -> Void = {}
        ) {
            self.header = header
            self.refused = refused
        }
        public static let none = Authorizer(header: { nil })
    }

    private let base: String
    private let http: HTTPClient
    private let authorizer: Authorizer
    public let options: Options

    /// `server` is the API server's URL (`https://10.96.0.1:443`); `tls` nil for plain HTTP or the system's trust.
    public init(server: URL, tls: TLSConfiguration?, authorizer: Authorizer, options: Options = Options()) {
        var text = server.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        base = text
        self.authorizer = authorizer
        self.options = options
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: Self.timeAmount(options.connectTimeout), read: Self.timeAmount(options.idleTimeout))
        )
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes every connection. Call once, when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// GETs `path` with `query` and returns the body of a 200 answer, to be read
    /// as it arrives. Any other status throws an APIError with the Status the
    /// server sent (after a 401 the authorizer hears of it).
    /// `headTimeout`, when shorter than the options', bounds the wait for the answer's head.
    func get(
        verb: String, path: String, query: [(String, String)], headTimeout: Duration? = nil
    ) async throws(APIError) -> HTTPClientResponse.Body {
        var request = HTTPClientRequest(url: base + path + Self.queryString(query))
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "ctwatch")
        do {
            if let header = try await authorizer.header() {
                request.headers.add(name: "Authorization", value: header)
            }
        } catch {
            throw APIError(verb: verb, path: path, reason: .transport("no credentials: \(error)"))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                request, timeout: Self.timeAmount(min(options.headTimeout, headTimeout ?? options.headTimeout)))
        } catch {
            throw APIError(verb: verb, path: path, reason: .transport(Self.describe(error)))
        }
        guard response.status.code == 200 else {
            let status = await Self.status(of: response)
            if response.status.code == 401 { await authorizer.refused() }
            throw APIError(
                verb: verb, path: path,
                reason: .status(code: Int(response.status.code), reason: status?.reason, message: status?.message))
        }
        return response.body
    }

    /// The Status object of an error answer, read from at most 64 KiB of its body.
    private static func status(of response: HTTPClientResponse) async -> APIStatus? {
        guard let buffer = try? await response.body.collect(upTo: 64 << 10) else { return nil }
        return try? JSONDecoder().decode(APIStatus.self, from: Data(buffer.readableBytesView))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout: return "no data for too long (read timeout)"
            case .deadlineExceeded: return "no answer in time"
            case .connectTimeout: return "could not connect in time"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return String(describing: error)
            }
        }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        return String(describing: error)
    }

    /// `?a=b&c=d`, every value percent-encoded but for unreserved characters (RFC 3986).
    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.map { key, value in key + "=" + percentEncoded(value) }
        return "?" + pairs.joined(separator: "&")
    }

    /// `text` with every UTF-8 byte but the unreserved ones (ASCII letters and
    /// digits, `-._~`) written as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// APIStatus is the part of a Kubernetes Status object that error messages use.
struct APIStatus: Decodable, Sendable {
    var code: Int?
    var reason: String?
    var message: String?
}
