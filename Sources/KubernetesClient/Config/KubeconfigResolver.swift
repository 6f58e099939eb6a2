import FoundationEssentials

/// KubeconfigResolver merges kubeconfig files as kubectl does and turns the
/// chosen context into a ClusterConnection.
///
/// For each cluster, user and context name the first file defining it wins, and
/// `current-context` comes from the first file setting it. Relative paths in an
/// entry are relative to the directory of the file the entry came from.
struct KubeconfigResolver {
    /// Sourced is an entry together with the file it was read from.
    struct Sourced<Entry> {
        var entry: Entry
        var file: String
        /// The directory of `file`: what comes before its last `/` (`/` for a
        /// file at the root, empty for a bare name).
        var directory: String {
            var path = Substring(file)
            while path.count > 1, path.hasSuffix("/") { path.removeLast() }
            guard let slash = path.lastIndex(of: "/") else { return "" }
            return slash == path.startIndex ? "/" : String(path[..<slash])
        }

        /// path makes a path from this entry's file absolute, as kubectl does.
        func path(_ path: String) -> String {
            if path.hasPrefix("/") || directory.isEmpty { return path }
            return directory + "/" + path
        }
    }

    let files: [String]
    var clusters: [String: Sourced<Kubeconfig.Cluster>] = [:]
    var users: [String: Sourced<Kubeconfig.User>] = [:]
    var contexts: [String: Sourced<Kubeconfig.Context>] = [:]
    var currentContext: Sourced<String>?

    init(files: [String]) throws(ClusterConfigError) {
        var unique: [String] = []
        for file in files where !unique.contains(file) { unique.append(file) }
        self.files = unique
        for file in unique {
            let config = try Kubeconfig.load(file)
            for named in config.clusters ?? [] where clusters[named.name] == nil {
                clusters[named.name] = Sourced(entry: named.cluster ?? Kubeconfig.Cluster(), file: file)
            }
            for named in config.users ?? [] where users[named.name] == nil {
                users[named.name] = Sourced(entry: named.user ?? Kubeconfig.User(), file: file)
            }
            for named in config.contexts ?? [] where contexts[named.name] == nil {
                contexts[named.name] = Sourced(entry: named.context ?? Kubeconfig.Context(), file: file)
            }
            if currentContext == nil, let current = config.currentContext, !current.isEmpty {
                currentContext = Sourced(entry: current, file: file)
            }
        }
    }

    /// The files, for messages: one path, or the list joined as in `$KUBECONFIG`.
    var filesText: String { files.joined(separator: ":") }

    func connection(context requested: String?) throws(ClusterConfigError) -> ClusterConnection {
        let available = contexts.keys.sorted()
        guard let contextName = (requested?.isEmpty == false ? requested : nil) ?? currentContext?.entry else {
            throw .noCurrentContext(kubeconfig: filesText, available: available)
        }
        guard let context = contexts[contextName] else {
            throw .contextNotFound(name: contextName, kubeconfig: filesText, available: available)
        }
        let clusterName = context.entry.cluster ?? ""
        guard let cluster = clusters[clusterName] else {
            throw .clusterNotFound(name: clusterName, context: contextName, kubeconfig: context.file)
        }
        var warnings: [String] = []
        let server = try serverURL(cluster, name: clusterName)
        let tls = try tlsSettings(cluster, name: clusterName)
        if tls.insecureSkipTLSVerify {
            warnings.append(
                "TLS verification is off for cluster \(clusterName) (insecure-skip-tls-verify): anyone on the path can read the token"
            )
        }
        if let proxy = cluster.entry.proxyURL, !proxy.isEmpty {
            warnings.append("proxy-url \(proxy) of cluster \(clusterName) is ignored: ctwatch connects directly")
        }
        var credentials = CredentialSource.none
        var clientCertificate: TLSSettings.ClientCertificate?
        if let userName = context.entry.user, !userName.isEmpty {
            guard let user = users[userName] else {
                throw .userNotFound(name: userName, context: contextName, kubeconfig: context.file)
            }
            (credentials, clientCertificate) = try authentication(
                user, name: userName,
                cluster: ExecClusterInfo(
                    server: server.absoluteString, certificateAuthorityData: tls.certificateAuthority?.bytes,
                    insecureSkipTLSVerify: tls.insecureSkipTLSVerify, tlsServerName: tls.serverName))
        }
        if server.scheme == "http", credentials != .none {
            warnings.append(
                "cluster \(clusterName) is reached over plain http (\(server.absoluteString)): the token travels unencrypted"
            )
        }
        var settings = tls
        settings.clientCertificate = clientCertificate
        let namespace = context.entry.namespace.flatMap { $0.isEmpty ? nil : $0 }
        return ClusterConnection(
            server: server, tls: settings, credentials: credentials, namespace: namespace,
            origin: "kubeconfig \(context.file), context \(contextName)", warnings: warnings)
    }

    private func serverURL(_ cluster: Sourced<Kubeconfig.Cluster>, name: String) throws(ClusterConfigError) -> URL {
        let text = cluster.entry.server ?? ""
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else {
            throw .invalidServer(server: text, cluster: name, kubeconfig: cluster.file)
        }
        return url
    }

    private func tlsSettings(_ cluster: Sourced<Kubeconfig.Cluster>, name: String) throws(ClusterConfigError)
        -> TLSSettings
    {
        let entry = "cluster \(name)"
        // As in kubectl, `-data` wins over the file when both are set.
        let ca = try pem(
            data: cluster.entry.certificateAuthorityData, dataField: "certificate-authority-data",
            file: cluster.entry.certificateAuthority, fileField: "certificate-authority", entry: entry, in: cluster)
        let serverName = cluster.entry.tlsServerName.flatMap { $0.isEmpty ? nil : $0 }
        return TLSSettings(
            certificateAuthority: ca, insecureSkipTLSVerify: cluster.entry.insecureSkipTLSVerify?.value ?? false,
            serverName: serverName)
    }

    private func authentication(
        _ user: Sourced<Kubeconfig.User>, name: String, cluster: ExecClusterInfo
    ) throws(ClusterConfigError) -> (CredentialSource, TLSSettings.ClientCertificate?) {
        let entry = user.entry
        if let provider = entry.authProvider {
            let providerName = provider.name ?? "(unnamed)"
            throw .unsupportedAuthentication(
                method: "auth-provider \(providerName)", user: name, kubeconfig: user.file,
                advice:
                    "auth-provider plugins were removed from kubectl in 1.26; use the exec plugin that replaced it (gke-gcloud-auth-plugin, kubelogin) or a token"
            )
        }
        if entry.username?.isEmpty == false || entry.password?.isEmpty == false {
            throw .unsupportedAuthentication(
                method: "basic authentication (username/password)", user: name, kubeconfig: user.file,
                advice: "use a token, a client certificate or an exec plugin")
        }
        if let impersonate = entry.impersonate, !impersonate.isEmpty {
            throw .unsupportedAuthentication(
                method: "impersonation (as: \(impersonate))", user: name, kubeconfig: user.file,
                advice: "give the impersonated identity its own credentials")
        }
        let label = "user \(name)"
        let certificate = try pem(
            data: entry.clientCertificateData, dataField: "client-certificate-data", file: entry.clientCertificate,
            fileField: "client-certificate", entry: label, in: user)
        let key = try pem(
            data: entry.clientKeyData, dataField: "client-key-data", file: entry.clientKey, fileField: "client-key",
            entry: label, in: user)
        var clientCertificate: TLSSettings.ClientCertificate?
        switch (certificate, key) {
        case (let certificate?, let key?):
            clientCertificate = TLSSettings.ClientCertificate(certificate: certificate, key: key)
        case (.some, nil):
            throw .invalidSetting(
                setting: "client-certificate", entry: label, kubeconfig: user.file,
                problem: "a client certificate without client-key or client-key-data: add the key")
        case (nil, .some):
            throw .invalidSetting(
                setting: "client-key", entry: label, kubeconfig: user.file,
                problem: "a client key without client-certificate or client-certificate-data: add the certificate")
        case (nil, nil):
            break
        }
        if let exec = entry.exec {
            return (.exec(try execConfig(exec, user: user, name: name, cluster: cluster)), clientCertificate)
        }
        if let tokenFile = entry.tokenFile, !tokenFile.isEmpty {
            let path = user.path(tokenFile)
            do {
                _ = try FileSystem.identity(path)
            } catch {
                throw .unreadableFile(
                    path: path, what: "tokenFile of \(label) in kubeconfig \(user.file)", reason: error.reason)
            }
            return (.tokenFile(path), clientCertificate)
        }
        if let token = entry.token, !token.isEmpty {
            return (.token(token), clientCertificate)
        }
        return (.none, clientCertificate)
    }

    private func execConfig(
        _ exec: Kubeconfig.User.Exec, user: Sourced<Kubeconfig.User>, name: String, cluster: ExecClusterInfo
    ) throws(ClusterConfigError) -> ExecCredentialConfig {
        let version = exec.apiVersion ?? ""
        guard version == "client.authentication.k8s.io/v1" || version == "client.authentication.k8s.io/v1beta1" else {
            throw .unsupportedExecAPIVersion(version, user: name, kubeconfig: user.file)
        }
        guard var command = exec.command, !command.isEmpty else {
            throw .invalidSetting(
                setting: "exec", entry: "user \(name)", kubeconfig: user.file, problem: "no command: add exec.command")
        }
        // A command with a slash but not absolute is relative to the kubeconfig, as in
        // kubectl; a bare name is looked up in PATH.
        if command.contains("/") { command = user.path(command) }
        var environment: [String: String] = [:]
        for variable in exec.env ?? [] { environment[variable.name] = variable.value }
        let hint = exec.installHint.flatMap { $0.isEmpty ? nil : $0 }
        return ExecCredentialConfig(
            apiVersion: version, command: command, arguments: exec.args ?? [], environment: environment,
            installHint: hint, provideClusterInfo: exec.provideClusterInfo?.value ?? false, cluster: cluster,
            origin: "user \(name) in kubeconfig \(user.file)")
    }

    /// pem is the PEM from `data` (base64, as kubeconfigs embed it) or else from
    /// the file `file` (relative to the entry's kubeconfig); nil when neither is set.
    private func pem<Entry>(
        data: String?, dataField: String, file: String?, fileField: String, entry: String, in source: Sourced<Entry>
    ) throws(ClusterConfigError) -> PEMData? {
        if let data, !data.isEmpty {
            // Strict, as kubectl's decoding is; only line breaks of a wrapped value are dropped.
            let compact = data.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: compact) else {
                throw .invalidBase64(field: dataField, entry: entry, kubeconfig: source.file)
            }
            return PEMData(bytes: [UInt8](decoded), origin: "\(dataField) of \(entry) in kubeconfig \(source.file)")
        }
        if let file, !file.isEmpty {
            let path = source.path(file)
            do {
                return PEMData(bytes: try FileSystem.read(path), origin: "\(fileField) \(path)")
            } catch {
                throw .unreadableFile(
                    path: path, what: "\(fileField) of \(entry) in kubeconfig \(source.file),", reason: error.reason)
            }
        }
        return nil
    }
}
