import Conntrack
import FoundationEssentials

/// Credentials gives the `Authorization` header for requests to the API server
/// from a CredentialSource, and keeps it current: a token file is read again
/// when it changes (the kubelet rotates bound tokens in place), a credential
/// plugin's token is kept until shortly before it expires.
///
/// Safe to share: concurrent callers needing a plugin's token wait for one run
/// of the plugin. Its description never shows a token.
public actor Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Where the token comes from.
    public nonisolated let source: CredentialSource
    private let environment: [String: String]
    private let execTimeout: Duration

    private var fileToken: (identity: FileSystem.FileIdentity, token: String)?
    private var execToken: ExecCredential.Token?
    private var execRun: Task<ExecCredential.Token, any Error>?
    /// Counts `invalidate` calls, so that a plugin run begun before one does not
    /// put back the token it dropped.
    private var generation = 0

    /// Makes credentials from `source`. A credential plugin runs with
    /// `environment` (normally ctwatch's own) plus its kubeconfig's variables,
    /// and is killed when it takes longer than `execTimeout`.
    public init(
        _ source: CredentialSource, environment: [String: String] = ProcessInfo.processInfo.environment,
        execTimeout: Duration = .seconds(30)
    ) {
        self.source = source
        self.environment = environment
        self.execTimeout = execTimeout
    }

    public nonisolated var description: String { "credentials from \(source)" }
    public nonisolated var debugDescription: String { description }
    /// Only the source: `dump` would otherwise show the cached token.
    public nonisolated var customMirror: Mirror { Mirror(self, children: ["source": source.description]) }

    /// authorization is the `Authorization` header value, `Bearer TOKEN`, or nil
    /// when there is no token. Throws a CredentialError.
    public func authorization() async throws -> String? {
        switch source {
        case .none:
            return nil
        case .token(let token):
            return "Bearer \(token)"
        case .tokenFile(let path):
            return "Bearer \(try tokenFromFile(path))"
        case .exec(let config):
            return "Bearer \(try await tokenFromPlugin(config))"
        }
    }

    /// invalidate drops what is cached after the server refused it (a 401): the
    /// plugin runs again, the token file is read again, on the next request.
    public func invalidate() {
        fileToken = nil
        execToken = nil
        generation += 1
    }

    private func tokenFromFile(_ path: String) throws(CredentialError) -> String {
        let identity: FileSystem.FileIdentity
        do {
            identity = try FileSystem.identity(path)
        } catch {
            throw .tokenFileUnreadable(path: path, reason: error.reason)
        }
        if let fileToken, fileToken.identity == identity { return fileToken.token }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 1 << 20)
        } catch {
            throw .tokenFileUnreadable(path: path, reason: error.reason)
        }
        let token = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        guard !token.isEmpty else { throw .tokenFileEmpty(path: path) }
        // The identity from before the read: a change during the read is seen next time.
        fileToken = (identity, token)
        return token
    }

    private func tokenFromPlugin(_ config: ExecCredentialConfig) async throws -> String {
        if let execToken, execToken.refreshAt.map({ Date() < $0 }) ?? true {
            return execToken.token
        }
        if let execRun { return try await execRun.value.token }
        let run = Task { [environment, execTimeout] in
            try await Self.runPlugin(config, environment: environment, timeout: execTimeout)
        }
        execRun = run
        let started = generation
        defer { execRun = nil }
        let token = try await run.value
        if generation == started { execToken = token }
        return token.token
    }

    private static func runPlugin(
        _ config: ExecCredentialConfig, environment: [String: String], timeout: Duration
    ) async throws(CredentialError) -> ExecCredential.Token {
        var variables = environment.merging(config.environment) { $1 }
        variables["KUBERNETES_EXEC_INFO"] = ExecCredential.request(config)
        let outcome: PluginProcess.Outcome
        switch await PluginProcess.run(
            command: config.command, arguments: config.arguments, environment: variables, timeout: timeout)
        {
        case .failure(let error):
            throw .pluginNotStarted(
                command: config.command, origin: config.origin, reason: error.reason, installHint: config.installHint)
        case .success(let finished):
            outcome = finished
        }
        if outcome.timedOut {
            throw .pluginTimedOut(
                command: config.command, origin: config.origin, seconds: Int(timeout.components.seconds))
        }
        guard outcome.exitStatus == 0 else {
            let status =
                outcome.exitStatus.map { "exited with status \($0)" } ?? "was killed by signal \(outcome.signal ?? 0)"
            let firstLine =
                String(decoding: outcome.stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingWhitespace() }.first { !$0.isEmpty } ?? ""
            // 126 and 127 are how shells and env say "cannot run it": the install hint helps then.
            let hint = outcome.exitStatus == 126 || outcome.exitStatus == 127 ? config.installHint : nil
            throw .pluginFailed(
                command: config.command, origin: config.origin, status: status, stderr: firstLine, installHint: hint)
        }
        return try ExecCredential.token(from: outcome.stdout, config: config, now: Date())
    }
}
