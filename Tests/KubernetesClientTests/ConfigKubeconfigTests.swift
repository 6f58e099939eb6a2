import Foundation
import KubernetesClient
import TestSupport
import Testing

/// Kubeconfigs written by the real kubectl, resolved as kubectl would.
@Suite struct ConfigKubeconfigTests {
    private func resolve(
        _ kubeconfig: String?, context: String? = nil, environment: [String: String] = [:],
        home: String = "/nonexistent"
    ) throws -> ClusterConnection {
        try ClusterConnection.resolve(
            kubeconfig: kubeconfig, context: context, environment: environment, homeDirectory: home)
    }

    @Test func tokenUserWithCertificateAuthorityFileRelativeToTheKubeconfig() async throws {
        try await withConfigFolder { folder in
            try await folder.makeCertificates()
            let config = folder.file("config")
            try await folder.kubectl(
                config, "set-cluster", "c1", "--server=https://127.0.0.1:6443",
                "--certificate-authority=\(folder.file("ca.crt"))")
            try await folder.kubectl(config, "set-credentials", "u1", "--token=secret-token-1")
            try await folder.kubectl(config, "set-context", "ctx1", "--cluster=c1", "--user=u1", "--namespace=shop")
            try await folder.kubectl(config, "use-context", "ctx1")
            // kubectl writes the path relative to the kubeconfig's folder: it is read so,
            // whatever the current directory.
            #expect(try folder.read("config").contains("certificate-authority: ca.crt"))

            let connection = try resolve(config)
            #expect(connection.server.absoluteString == "https://127.0.0.1:6443")
            #expect(connection.credentials == .token("secret-token-1"))
            #expect(connection.namespace == "shop")
            #expect(connection.origin == "kubeconfig \(config), context ctx1")
            #expect(connection.warnings.isEmpty)
            let ca = try #require(connection.tls.certificateAuthority)
            #expect(ca.bytes == Array(try folder.read("ca.crt").utf8))
            #expect(ca.origin == "certificate-authority \(folder.file("ca.crt"))")
            #expect(connection.tls.clientCertificate == nil)
            #expect(!connection.tls.insecureSkipTLSVerify)
        }
    }

    @Test func embeddedClientCertificateAndAuthorityData() async throws {
        try await withConfigFolder { folder in
            try await folder.makeCertificates()
            let config = folder.file("config")
            try await folder.kubectl(
                config, "set-cluster", "c1", "--server=https://[::1]:6443",
                "--certificate-authority=\(folder.file("ca.crt"))", "--embed-certs=true",
                "--tls-server-name=kubernetes.default")
            try await folder.kubectl(
                config, "set-credentials", "admin", "--client-certificate=\(folder.file("client.crt"))",
                "--client-key=\(folder.file("client.key"))", "--embed-certs=true")
            try await folder.kubectl(config, "set-context", "ctx", "--cluster=c1", "--user=admin")
            try await folder.kubectl(config, "use-context", "ctx")
            let text = try folder.read("config")
            #expect(text.contains("certificate-authority-data:") && text.contains("client-key-data:"))

            let connection = try resolve(config)
            #expect(connection.server.host == "::1" || connection.server.host == "[::1]")
            #expect(connection.credentials == .none)
            #expect(connection.namespace == nil)
            #expect(connection.tls.serverName == "kubernetes.default")
            #expect(connection.tls.certificateAuthority?.bytes == Array(try folder.read("ca.crt").utf8))
            let client = try #require(connection.tls.clientCertificate)
            #expect(client.certificate.bytes == Array(try folder.read("client.crt").utf8))
            #expect(client.key.bytes == Array(try folder.read("client.key").utf8))
            #expect(client.key.origin == "client-key-data of user admin in kubeconfig \(config)")
            // The key appears nowhere in what may be printed.
            let keyBody = try folder.read("client.key").split(separator: "\n")[1]
            for text in [
                "\(connection)", String(reflecting: connection), "\(connection.tls)", "\(client.key)",
                String(reflecting: client),
            ] {
                #expect(!text.contains(keyBody))
            }
            var dumped = ""
            dump(connection, to: &dumped)
            #expect(!dumped.contains(keyBody))
        }
    }

    @Test func insecureSkipTLSVerifyWarns() async throws {
        try await withConfigFolder { folder in
            let config = folder.file("config")
            try await folder.kubectl(
                config, "set-cluster", "lab", "--server=https://10.0.0.1:6443", "--insecure-skip-tls-verify=true")
            try await folder.kubectl(config, "set-credentials", "u", "--token=t")
            try await folder.kubectl(config, "set-context", "lab", "--cluster=lab", "--user=u")
            try await folder.kubectl(config, "use-context", "lab")
            let connection = try resolve(config)
            #expect(connection.tls.insecureSkipTLSVerify)
            #expect(
                connection.warnings == [
                    "TLS verification is off for cluster lab (insecure-skip-tls-verify): anyone on the path can read the token"
                ])
        }
    }

    @Test func kubeconfigListMergesFirstFileWinsAndContextOverrides() async throws {
        try await withConfigFolder { folder in
            let first = folder.file("first")
            let second = folder.file("second")
            try await folder.kubectl(first, "set-cluster", "shared", "--server=https://first.example:6443")
            try await folder.kubectl(first, "set-credentials", "shared-user", "--token=from-first")
            try await folder.kubectl(first, "set-context", "a", "--cluster=shared", "--user=shared-user")
            try await folder.kubectl(second, "set-cluster", "shared", "--server=https://second.example:6443")
            try await folder.kubectl(second, "set-cluster", "only-second", "--server=https://only.example:6443")
            try await folder.kubectl(second, "set-credentials", "shared-user", "--token=from-second")
            try await folder.kubectl(second, "set-context", "a", "--cluster=only-second", "--user=shared-user")
            try await folder.kubectl(
                second, "set-context", "b", "--cluster=only-second", "--user=shared-user", "--namespace=bee")
            try await folder.kubectl(second, "use-context", "b")

            // The first file sets no current-context: the second's applies; its context b
            // uses the user both define, and the first's definition wins.
            let environment = ["KUBECONFIG": "\(folder.file("missing")):\(first):\(second)"]
            let merged = try resolve(nil, environment: environment)
            #expect(merged.origin == "kubeconfig \(second), context b")
            #expect(merged.server.absoluteString == "https://only.example:6443")
            #expect(merged.credentials == .token("from-first"))
            #expect(merged.namespace == "bee")

            // Context a is in both: the first's wins, with the first's cluster.
            let overridden = try resolve(nil, context: "a", environment: environment)
            #expect(overridden.origin == "kubeconfig \(first), context a")
            #expect(overridden.server.absoluteString == "https://first.example:6443")
            #expect(overridden.namespace == nil)

            // With the first file setting a current-context, it wins over the second's.
            try await folder.kubectl(first, "use-context", "a")
            #expect(try resolve(nil, environment: environment).origin == "kubeconfig \(first), context a")

            // An explicit kubeconfig beats $KUBECONFIG.
            let explicit = try resolve(second, context: "a", environment: environment)
            #expect(explicit.server.absoluteString == "https://only.example:6443")
            #expect(explicit.credentials == .token("from-second"))
        }
    }

    @Test func homeKubeconfigWhenNothingElse() async throws {
        try await withConfigFolder { folder in
            try FileManager.default.createDirectory(atPath: folder.file(".kube"), withIntermediateDirectories: true)
            let config = folder.file(".kube/config")
            try await folder.kubectl(config, "set-cluster", "home", "--server=http://127.0.0.1:8080")
            try await folder.kubectl(config, "set-context", "home", "--cluster=home")
            try await folder.kubectl(config, "use-context", "home")
            let connection = try resolve(nil, home: folder.path)
            #expect(connection.origin == "kubeconfig \(config), context home")
            #expect(connection.server.scheme == "http")
            #expect(connection.credentials == .none)
        }
    }

    @Test func missingContextListsTheAvailableOnes() async throws {
        try await withConfigFolder { folder in
            let config = folder.file("config")
            try await folder.kubectl(config, "set-cluster", "c", "--server=https://127.0.0.1:6443")
            try await folder.kubectl(config, "set-context", "kind-a", "--cluster=c")
            try await folder.kubectl(config, "set-context", "kind-b", "--cluster=c")
            let noCurrent = thrownError(ClusterConfigError.self) { _ = try resolve(config) }
            #expect(noCurrent == .noCurrentContext(kubeconfig: config, available: ["kind-a", "kind-b"]))
            let error = thrownError(ClusterConfigError.self) { _ = try resolve(config, context: "prod") }
            #expect(error == .contextNotFound(name: "prod", kubeconfig: config, available: ["kind-a", "kind-b"]))
            #expect(
                error?.description
                    == "context prod is not in kubeconfig \(config): give --context with one of its contexts (it has: kind-a, kind-b)"
            )
        }
    }

    @Test func noConfigurationAnywhere() async throws {
        try await withConfigFolder { folder in
            let error = thrownError(ClusterConfigError.self) { _ = try resolve(nil, home: folder.path) }
            #expect(error == .noConfiguration(looked: [folder.file(".kube/config")]))
            #expect(
                error?.description
                    == "no Kubernetes configuration: not in a pod (KUBERNETES_SERVICE_HOST unset) and no kubeconfig at \(folder.file(".kube/config")): give --kubeconfig PATH"
            )
            let explicit = thrownError(ClusterConfigError.self) { _ = try resolve(folder.file("nope")) }
            #expect(explicit == .kubeconfigMissing(path: folder.file("nope")))
        }
    }

    @Test func kubeconfigListOfMissingFiles() throws {
        let environment = ["KUBECONFIG": "/nonexistent/a:/nonexistent/b"]
        let error = thrownError(ClusterConfigError.self) { _ = try resolve(nil, environment: environment) }
        #expect(error == .noConfiguration(looked: ["/nonexistent/a", "/nonexistent/b"]))
    }

    @Test func certificateWithoutKeyAndBadBase64() async throws {
        try await withConfigFolder { folder in
            try await folder.makeCertificates()
            let config = folder.file("config")
            try await folder.kubectl(config, "set-cluster", "c", "--server=https://127.0.0.1:6443")
            try await folder.kubectl(
                config, "set-credentials", "half", "--client-certificate=\(folder.file("client.crt"))")
            try await folder.kubectl(config, "set-context", "half", "--cluster=c", "--user=half")
            let half = thrownError(ClusterConfigError.self) { _ = try resolve(config, context: "half") }
            #expect(
                half
                    == .invalidSetting(
                        setting: "client-certificate", entry: "user half", kubeconfig: config,
                        problem: "a client certificate without client-key or client-key-data: add the key"))

            try await folder.kubectl(
                config, "set-cluster", "c", "--certificate-authority=\(folder.file("ca.crt"))", "--embed-certs=true")
            try await folder.kubectl(config, "set-context", "anonymous", "--cluster=c")
            let text = try folder.read("config")
            try folder.write(
                "config",
                text.replacingOccurrences(of: "certificate-authority-data: ", with: "certificate-authority-data: _"))
            let base64 = thrownError(ClusterConfigError.self) { _ = try resolve(config, context: "anonymous") }
            #expect(
                base64 == .invalidBase64(field: "certificate-authority-data", entry: "cluster c", kubeconfig: config))
        }
    }

    @Test func malformedKubeconfigIsNamed() async throws {
        try await withConfigFolder { folder in
            try folder.write("config", "clusters:\n- name: c\n  cluster: [unclosed\n")
            let error = thrownError(ClusterConfigError.self) { _ = try resolve(folder.file("config")) }
            #expect(
                error?.description.hasPrefix("kubeconfig \(folder.file("config")) is not a valid kubeconfig: ") == true)
            #expect(error?.description.contains("\n") == false)
            try folder.write("config", "clusters: 3\n")
            let shape = thrownError(ClusterConfigError.self) { _ = try resolve(folder.file("config")) }
            #expect(shape?.description.contains("at .clusters") == true, "\(String(describing: shape))")
        }
    }

    @Test func unsupportedAuthenticationIsNamed() async throws {
        try await withConfigFolder { folder in
            let config = folder.file("config")
            try await folder.kubectl(config, "set-cluster", "c", "--server=https://127.0.0.1:6443")
            try await folder.kubectl(config, "set-credentials", "basic", "--username=admin", "--password=pw")
            try await folder.kubectl(config, "set-credentials", "oidc", "--auth-provider=oidc")
            try await folder.kubectl(config, "set-context", "basic", "--cluster=c", "--user=basic")
            try await folder.kubectl(config, "set-context", "oidc", "--cluster=c", "--user=oidc")
            let basic = thrownError(ClusterConfigError.self) { _ = try resolve(config, context: "basic") }
            #expect(basic?.description.contains("basic authentication (username/password)") == true)
            let oidc = thrownError(ClusterConfigError.self) { _ = try resolve(config, context: "oidc") }
            #expect(oidc?.description.contains("auth-provider oidc") == true)
            #expect(oidc?.description.contains("user oidc in kubeconfig \(config)") == true)
        }
    }

    @Test func execUserAndTokenFile() async throws {
        try await withConfigFolder { folder in
            let config = folder.file("config")
            try folder.write("token", "file-token\n")
            try await folder.kubectl(config, "set-cluster", "eks", "--server=https://eks.example:443")
            // kubectl writes the command relative to the kubeconfig (bin/plugin); a bare name
            // would be looked up in PATH, as kubectl does.
            try await folder.kubectl(
                config, "set-credentials", "aws", "--exec-command=\(folder.file("bin/plugin"))",
                "--exec-api-version=client.authentication.k8s.io/v1", "--exec-arg=eks", "--exec-arg=get-token",
                "--exec-env=AWS_PROFILE=dev", "--exec-interactive-mode=Never")
            try await folder.kubectl(config, "set-credentials", "file", "--token=ignored")
            try await folder.kubectl(config, "set-context", "eks", "--cluster=eks", "--user=aws")
            try await folder.kubectl(config, "set-context", "file", "--cluster=eks", "--user=file")
            // kubectl has no flag for tokenFile; it is written as kubeconfigs carry it.
            var text = try folder.read("config")
            #expect(text.contains("command: bin/plugin"))
            text = text.replacingOccurrences(of: "    token: ignored", with: "    tokenFile: token")
            try folder.write("config", text)

            let exec = try resolve(config, context: "eks")
            guard case .exec(let plugin) = exec.credentials else {
                Issue.record("expected an exec plugin, got \(exec.credentials)")
                return
            }
            #expect(plugin.apiVersion == "client.authentication.k8s.io/v1")
            #expect(plugin.command == folder.file("bin/plugin"))
            #expect(plugin.arguments == ["eks", "get-token"])
            #expect(plugin.environment == ["AWS_PROFILE": "dev"])
            #expect(plugin.cluster.server == "https://eks.example:443")
            #expect(plugin.origin == "user aws in kubeconfig \(config)")

            let file = try resolve(config, context: "file")
            #expect(file.credentials == .tokenFile(folder.file("token")))
        }
    }

    @Test func jsonKubeconfig() async throws {
        try await withConfigFolder { folder in
            let yaml = folder.file("config")
            try await folder.kubectl(yaml, "set-cluster", "c", "--server=https://127.0.0.1:6443")
            try await folder.kubectl(yaml, "set-credentials", "u", "--token=json-token")
            try await folder.kubectl(yaml, "set-context", "c", "--cluster=c", "--user=u")
            try await folder.kubectl(yaml, "use-context", "c")
            let json = try await Subprocess.run(
                "/usr/bin/kubectl", ["config", "view", "--kubeconfig", yaml, "--raw", "-o", "json"])
            try #require(json.status == 0, "\(json)")
            // With tabs, which YAML does not allow.
            try folder.write("config.json", json.stdout.replacingOccurrences(of: "    ", with: "\t"))
            let connection = try resolve(folder.file("config.json"))
            #expect(connection.credentials == .token("json-token"))
        }
    }

    @Test func descriptionNeverShowsTheToken() async throws {
        let connection = ClusterConnection(
            server: URL(string: "https://127.0.0.1:6443")!, credentials: .token("very-secret-token"), origin: "test")
        var dumped = ""
        dump(connection, to: &dumped)
        for text in [
            "\(connection)", String(reflecting: connection), "\(connection.credentials)",
            String(reflecting: connection.credentials), dumped,
        ] {
            #expect(!text.contains("very-secret-token"), "\(text)")
        }
    }
}
