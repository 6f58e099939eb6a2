/// CredentialSource is where the bearer token for the API server comes from.
///
/// Its description and reflection never show a token.
public enum CredentialSource: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// No token: anonymous, or a client certificate alone.
    case none
    /// A fixed token (a kubeconfig's `token`).
    case token(String)
    /// A file holding the token, read again whenever it changes: the kubelet
    /// rotates a pod's bound service-account token in place.
    case tokenFile(String)
    /// A credential plugin run to obtain the token, as EKS and GKE kubeconfigs do.
    case exec(ExecCredentialConfig)

    public var description: String {
        switch self {
        case .none: "no token"
        case .token: "a bearer token"
        case .tokenFile(let path): "the token in \(path)"
        case .exec(let config): "the credential plugin \(config.command) (\(config.origin))"
        }
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["source": description]) }
}

/// ExecCredentialConfig is a kubeconfig user's `exec` section: the credential
/// plugin to run and what to tell it.
public struct ExecCredentialConfig: Sendable, Equatable, CustomStringConvertible {
    /// The ExecCredential version spoken: `client.authentication.k8s.io/v1` or `.../v1beta1`.
    public var apiVersion: String
    /// The program: a name looked up in PATH, or a path (relative ones were made
    /// relative to the kubeconfig's directory, as kubectl does).
    public var command: String
    public var arguments: [String]
    /// Variables added to the plugin's environment (on top of ctwatch's own).
    public var environment: [String: String]
    /// What to tell the user when the plugin cannot be run (a kubeconfig's `installHint`).
    public var installHint: String?
    /// Whether the plugin is given `cluster` in `KUBERNETES_EXEC_INFO`.
    public var provideClusterInfo: Bool
    /// The cluster the credential is for.
    public var cluster: ExecClusterInfo
    /// Which user of which kubeconfig this is, for messages.
    public var origin: String

    public init(
        apiVersion: String, command: String, arguments: [String] = [], environment: [String: String] = [:],
        installHint: String? = nil, provideClusterInfo: Bool = false, cluster: ExecClusterInfo, origin: String
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.installHint = installHint
        self.provideClusterInfo = provideClusterInfo
        self.cluster = cluster
        self.origin = origin
    }

    /// Names the command and origin only: arguments and environment may carry secrets.
    public var description: String { "credential plugin \(command) (\(origin))" }
}

/// ExecClusterInfo is what an exec plugin is told about the cluster when
/// `provideClusterInfo` is set (`spec.cluster` of `KUBERNETES_EXEC_INFO`).
public struct ExecClusterInfo: Sendable, Equatable {
    public var server: String
    public var certificateAuthorityData: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    public var tlsServerName: String?

    public init(
        server: String, certificateAuthorityData: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
        tlsServerName: String? = nil
    ) {
        self.server = server
        self.certificateAuthorityData = certificateAuthorityData
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
    }
}
