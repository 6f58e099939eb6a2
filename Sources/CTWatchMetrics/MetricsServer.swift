import NIOCore
import NIOHTTP1
import NIOPosix

/// MetricsServer is the small HTTP/1.1 server of `--metrics-address`:
/// `GET /metrics` (the Prometheus text format), `/healthz` and `/readyz`.
/// Its sockets are SwiftNIO's, each request answered in a task of its own,
/// apart from the task that reads conntrack events. A connection that sends
/// nothing for `idleTimeout` is closed, so forgotten clients cannot pile up
/// over the months an agent runs.
public struct MetricsServer: Sendable {
    /// Request is what a route is chosen by.
    public struct Request: Sendable {
        public var method: String
        /// The path, without the query.
        public var path: String
    }

    /// Response is a route's answer.
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        public init(status: Int, text: String) {
            self.init(status: status, body: Array(text.utf8))
        }
    }

    public typealias Handler = @Sendable (Request) async -> Response

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    public static let idleTimeout = TimeAmount.seconds(120)
    private let channel: NIOAsyncChannel<Connection, Never>

    /// The address and port bound (the port chosen by the system for port 0).
    public let boundAddress: String
    public let boundPort: Int

    /// bind listens on `host`:`port` (an empty host: every address, IPv6
    /// and IPv4). Throws `MetricsServerError` when the address cannot be bound.
    public static func bind(host: String, port: Int) async throws(MetricsServerError) -> MetricsServer {
        let hosts = host.isEmpty ? ["::", "0.0.0.0"] : [host]
        var failure = ""
        for candidate in hosts {
            do {
                let idleTimeout = idleTimeout
                // `::` takes IPv4 too, whatever net.ipv6.bindv6only says.
                let dualStack = ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only)
                let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(dualStack, value: 0, when: candidate == "::")
                    .bind(host: candidate, port: port) { child in
                        child.eventLoop.makeCompletedFuture {
                            try child.pipeline.syncOperations.configureHTTPServerPipeline()
                            try child.pipeline.syncOperations.addHandlers([
                                IdleStateHandler(readTimeout: idleTimeout), CloseWhenIdle(),
                            ])
                            return try Connection(wrappingChannelSynchronously: child)
                        }
                    }
                let local = channel.channel.localAddress
                return MetricsServer(
                    channel: channel, boundAddress: local?.ipAddress ?? candidate, boundPort: local?.port ?? port)
            } catch {
                failure = "\(error)"
            }
        }
        throw MetricsServerError(host: host, port: port, reason: failure)
    }

    private init(channel: NIOAsyncChannel<Connection, Never>, boundAddress: String, boundPort: Int) {
        self.channel = channel
        self.boundAddress = boundAddress
        self.boundPort = boundPort
    }

    /// Serves requests with `handler` until the task is cancelled, then closes the socket.
    public func run(_ handler: @escaping Handler) async throws {
        try await channel.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        // A client that breaks off is its own business.
                        try? await Self.serve(connection, handler)
                    }
                }
            }
        }
    }

    private static func serve(_ connection: Connection, _ handler: Handler) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let received):
                    head = received
                case .body:
                    continue
                case .end:
                    guard let request = head else { continue }
                    head = nil
                    let path = String(request.uri.prefix { $0 != "?" })
                    let response: Response
                    if request.method == .GET || request.method == .HEAD {
                        response = await handler(Request(method: "\(request.method)", path: path))
                    } else {
                        response = Response(status: 405, text: "only GET and HEAD are served\n")
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType)
                    headers.add(name: "Content-Length", value: "\(response.body.count)")
                    if response.status == 405 { headers.add(name: "Allow", value: "GET, HEAD") }
                    if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(
                        .head(
                            HTTPResponseHead(
                                version: request.version, status: HTTPResponseStatus(statusCode: response.status),
                                headers: headers)))
                    if request.method != .HEAD {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    }
                    try await outbound.write(.end(nil))
                    if !request.isKeepAlive { return }
                }
            }
        }
    }
}

extension ServerBootstrap {
    /// `serverChannelOption` when `condition` holds.
    fileprivate func serverChannelOption<Option: ChannelOption>(
        _ option: Option, value: Option.Value, when condition: Bool
    ) -> ServerBootstrap {
        condition ? serverChannelOption(option, value: value) : self
    }
}

/// CloseWhenIdle closes a connection when `IdleStateHandler` says it has been idle.
private final class CloseWhenIdle: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// MetricsServerError is a `--metrics-address` that could not be listened on.
public struct MetricsServerError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var reason: String

    public var description: String {
        "cannot listen on \(host.isEmpty ? "" : host):\(port) for metrics (\(reason)): "
            + "choose a free port with --metrics-address HOST:PORT"
    }
}
