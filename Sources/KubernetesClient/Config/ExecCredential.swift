import FoundationEssentials

/// ExecCredential is the exchange with a credential plugin
/// (`client.authentication.k8s.io/v1`): the request put in its
/// `KUBERNETES_EXEC_INFO` variable, and the token read from its standard output.
enum ExecCredential {
    /// Token is a plugin's answer: the token and when to ask again (nil: keep it until a 401).
    struct Token: Sendable {
        var token: String
        var refreshAt: Date?
    }

    private struct Request: Encodable {
        struct Spec: Encodable {
            var interactive: Bool
            var cluster: Cluster?
        }

        struct Cluster: Encodable {
            var server: String
            var tlsServerName: String?
            var insecureSkipTLSVerify: Bool?
            var certificateAuthorityData: String?

            enum CodingKeys: String, CodingKey {
                case server
                case tlsServerName = "tls-server-name"
                case insecureSkipTLSVerify = "insecure-skip-tls-verify"
                case certificateAuthorityData = "certificate-authority-data"
            }
        }

        var apiVersion: String
        var kind = "ExecCredential"
        var spec: Spec
    }

    private struct Response: Decodable {
        struct Status: Decodable {
            var token: String?
            var expirationTimestamp: String?
            var clientCertificateData: String?
        }
        var apiVersion: String?
        var kind: String?
        var status: Status?
    }

    /// request is the `KUBERNETES_EXEC_INFO` JSON: never interactive, as ctwatch
    /// has no terminal to offer, with the cluster when the kubeconfig asks for it.
    static func request(_ config: ExecCredentialConfig) -> String {
        let cluster =
            config.provideClusterInfo
            ? Request.Cluster(
                server: config.cluster.server, tlsServerName: config.cluster.tlsServerName,
                insecureSkipTLSVerify: config.cluster.insecureSkipTLSVerify ? true : nil,
                certificateAuthorityData: config.cluster.certificateAuthorityData.map { Data($0).base64EncodedString() }
            )
            : nil
        let request = Request(apiVersion: config.apiVersion, spec: Request.Spec(interactive: false, cluster: cluster))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and booleans cannot fail.
        return String(decoding: (try? encoder.encode(request)) ?? Data(), as: UTF8.self)
    }

    /// token reads a plugin's standard output. A token is used until shortly
    /// before it expires: a tenth of its remaining life, at most 30 s early.
    static func token(
        from stdout: [UInt8], config: ExecCredentialConfig, now: Date
    ) throws(CredentialError) -> Token {
        func bad(_ problem: String) -> CredentialError {
            .pluginBadOutput(command: config.command, origin: config.origin, problem: problem)
        }
        let response: Response
        do {
            response = try JSONDecoder().decode(Response.self, from: Data(stdout))
        } catch {
            let start =
                String(decoding: stdout.prefix(80), as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            throw bad("printed no ExecCredential JSON on stdout (it began \"\(start)\")")
        }
        guard response.kind == "ExecCredential" else {
            throw bad("printed kind \(response.kind ?? "(none)"), not ExecCredential")
        }
        guard response.apiVersion == config.apiVersion else {
            throw bad(
                "answered apiVersion \(response.apiVersion ?? "(none)") to a \(config.apiVersion) request: set exec.apiVersion to what it speaks"
            )
        }
        guard let token = response.status?.token, !token.isEmpty else {
            if response.status?.clientCertificateData?.isEmpty == false {
                throw bad("returned a client certificate, not a token: ctwatch supports token-returning plugins only")
            }
            throw bad("returned no status.token")
        }
        var refreshAt: Date?
        if let stamp = response.status?.expirationTimestamp {
            guard let expiry = parseRFC3339(stamp) else {
                throw bad("returned expirationTimestamp \"\(stamp)\", not an RFC 3339 time")
            }
            let early = min(30, max(0, expiry.timeIntervalSince(now)) / 10)
            refreshAt = expiry.addingTimeInterval(-early)
        }
        return Token(token: token, refreshAt: refreshAt)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
