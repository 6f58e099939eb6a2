/// ClusterConfigError says why no connection to a cluster could be worked out
/// from the kubeconfig or the pod's service-account files, naming the file, the
/// context or the setting at fault and what to do about it, in one line.
public enum ClusterConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not in a pod and no kubeconfig exists at any of `looked` (paths or `$KUBECONFIG` entries).
    case noConfiguration(looked: [String])
    /// The kubeconfig named explicitly (`--kubeconfig`) does not exist.
    case kubeconfigMissing(path: String)
    /// A file could not be read: a kubeconfig, a certificate, a key, a token or a service-account file.
    case unreadableFile(path: String, what: String, reason: String)
    /// A kubeconfig is not YAML or JSON of the expected shape.
    case malformedKubeconfig(path: String, reason: String)
    /// No context was asked for and the kubeconfig sets no `current-context`.
    case noCurrentContext(kubeconfig: String, available: [String])
    /// The context asked for (or the current one) is not in the kubeconfig.
    case contextNotFound(name: String, kubeconfig: String, available: [String])
    /// The context names a cluster the kubeconfig does not define.
    case clusterNotFound(name: String, context: String, kubeconfig: String)
    /// The context names a user the kubeconfig does not define.
    case userNotFound(name: String, context: String, kubeconfig: String)
    /// The cluster's `server` is not an http or https URL with a host.
    case invalidServer(server: String, cluster: String, kubeconfig: String)
    /// A `-data` field is not base64.
    case invalidBase64(field: String, entry: String, kubeconfig: String)
    /// A setting is present but incomplete or contradictory (a certificate without its key, say).
    case invalidSetting(setting: String, entry: String, kubeconfig: String, problem: String)
    /// The user authenticates in a way ctwatch does not support (auth-provider, basic auth, impersonation).
    case unsupportedAuthentication(method: String, user: String, kubeconfig: String, advice: String)
    /// An exec plugin asks for an apiVersion other than `client.authentication.k8s.io/v1` or `v1beta1`.
    case unsupportedExecAPIVersion(String, user: String, kubeconfig: String)
    /// TLS material (CA, client certificate or key) could not be loaded; `origin` says where it came from.
    case badTLSMaterial(origin: String, reason: String)

    public var description: String {
        switch self {
        case .noConfiguration(let looked):
            let places =
                looked.count == 1
                ? "no kubeconfig at \(looked[0])" : "no kubeconfig at any of \(looked.joined(separator: ", "))"
            return
                "no Kubernetes configuration: not in a pod (KUBERNETES_SERVICE_HOST unset) and \(places): give --kubeconfig PATH"
        case .kubeconfigMissing(let path):
            return "kubeconfig \(path) does not exist: give the path of an existing kubeconfig"
        case .unreadableFile(let path, let what, let reason):
            return "cannot read \(what) \(path): \(reason)"
        case .malformedKubeconfig(let path, let reason):
            return "kubeconfig \(path) is not a valid kubeconfig: \(reason)"
        case .noCurrentContext(let kubeconfig, let available):
            return "kubeconfig \(kubeconfig) sets no current-context: give --context NAME (\(Self.list(available)))"
        case .contextNotFound(let name, let kubeconfig, let available):
            return
                "context \(name) is not in kubeconfig \(kubeconfig): give --context with one of its contexts (\(Self.list(available)))"
        case .clusterNotFound(let name, let context, let kubeconfig):
            return
                "context \(context) of kubeconfig \(kubeconfig) names cluster \"\(name)\", which it does not define: fix the context or add the cluster (kubectl config set-cluster)"
        case .userNotFound(let name, let context, let kubeconfig):
            return
                "context \(context) of kubeconfig \(kubeconfig) names user \"\(name)\", which it does not define: fix the context or add the user (kubectl config set-credentials)"
        case .invalidServer(let server, let cluster, let kubeconfig):
            return
                "cluster \(cluster) in kubeconfig \(kubeconfig) has server \"\(server)\", not an https:// or http:// URL with a host: fix it with kubectl config set-cluster \(cluster) --server=https://HOST:PORT"
        case .invalidBase64(let field, let entry, let kubeconfig):
            return
                "\(field) of \(entry) in kubeconfig \(kubeconfig) is not base64: write it again (kubectl config ... --embed-certs)"
        case .invalidSetting(let setting, let entry, let kubeconfig, let problem):
            return "\(setting) of \(entry) in kubeconfig \(kubeconfig): \(problem)"
        case .unsupportedAuthentication(let method, let user, let kubeconfig, let advice):
            return
                "user \(user) in kubeconfig \(kubeconfig) authenticates with \(method), which ctwatch does not support: \(advice)"
        case .unsupportedExecAPIVersion(let version, let user, let kubeconfig):
            return
                "the exec plugin of user \(user) in kubeconfig \(kubeconfig) uses apiVersion \(version.isEmpty ? "(none)" : version): ctwatch speaks client.authentication.k8s.io/v1 and v1beta1; update the plugin's configuration"
        case .badTLSMaterial(let origin, let reason):
            return "\(origin) is not usable for TLS: \(reason)"
        }
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "it has no contexts" : "it has: \(names.sorted().joined(separator: ", "))"
    }
}
