import FoundationEssentials

/// ClusterConnection is the resolved way to reach a cluster's API server: where
/// it is, how to secure the connection, where the token comes from, the default
/// namespace, and where all that was read (for messages).
///
/// Made by `resolve`, from the pod's service-account files or a kubeconfig.
/// Its description and reflection never show a token or key material.
public struct ClusterConnection: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The API server's base URL (https, or http).
    public var server: URL
    public var tls: TLSSettings
    public var credentials: CredentialSource
    /// The namespace of the context or of the pod; nil when neither sets one.
    public var namespace: String?
    /// Where this came from, in words for messages: `in-cluster configuration`,
    /// `kubeconfig /root/.kube/config, context kind-a`.
    public var origin: String
    /// What the user should know about this configuration, one line each
    /// (TLS verification off, a token over plain http, settings ignored).
    public var warnings: [String]

    public init(
        server: URL, tls: TLSSettings = TLSSettings(), credentials: CredentialSource = .none, namespace: String? = nil,
        origin: String, warnings: [String] = []
    ) {
        self.server = server
        self.tls = tls
        self.credentials = credentials
        self.namespace = namespace
        self.origin = origin
        self.warnings = warnings
    }

    /// Where Kubernetes mounts a pod's service-account token, CA and namespace.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public var description: String {
        "\(server.absoluteString) (\(origin)): \(tls), \(credentials)"
            + (namespace.map { ", namespace \($0)" } ?? "")
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "server": server.absoluteString, "tls": tls.description, "credentials": credentials.description,
                "namespace": namespace as Any, "origin": origin, "warnings": warnings,
            ])
    }

    /// resolve works out how to reach the cluster, as kubectl would.
    ///
    /// - In a pod (`KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT` set) with
    ///   no `kubeconfig` given: the service account's token file, CA and namespace
    ///   from `serviceAccountDirectory`.
    /// - Else a kubeconfig: `kubeconfig`; else `$KUBECONFIG`'s colon-separated files
    ///   merged as kubectl merges them (for each cluster, user and context name the
    ///   first file that defines it wins; `current-context` from the first file that
    ///   sets it); else `homeDirectory/.kube/config`. `context` overrides the
    ///   current context.
    ///
    /// Files named in the configuration (CA, client certificate and key) are read
    /// here; a token file is only checked to be readable, as it is read again on
    /// every change.
    public static func resolve(
        kubeconfig: String?, context: String?, environment: [String: String], homeDirectory: String,
        serviceAccountDirectory: String = defaultServiceAccountDirectory
    ) throws(ClusterConfigError) -> ClusterConnection {
        if kubeconfig == nil, let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        {
            var connection = try inCluster(host: host, port: port, serviceAccountDirectory: serviceAccountDirectory)
            if let context, !context.isEmpty {
                connection.warnings.append(
                    "context \(context) is ignored: in a pod the in-cluster configuration is used (give --kubeconfig PATH to use a kubeconfig's context)"
                )
            }
            return connection
        }
        let files: [String]
        if let kubeconfig {
            guard FileSystem.exists(kubeconfig) else { throw .kubeconfigMissing(path: kubeconfig) }
            files = [kubeconfig]
        } else if let list = environment["KUBECONFIG"], !list.isEmpty {
            let entries = list.split(separator: ":").map(String.init)
            // kubectl skips entries that do not exist; only when none does is that an error.
            files = entries.filter { FileSystem.exists($0) }
            if files.isEmpty { throw .noConfiguration(looked: entries) }
        } else {
            let path = (homeDirectory.hasSuffix("/") ? homeDirectory : homeDirectory + "/") + ".kube/config"
            guard FileSystem.exists(path) else { throw .noConfiguration(looked: [path]) }
            files = [path]
        }
        return try KubeconfigResolver(files: files).connection(context: context)
    }
}
