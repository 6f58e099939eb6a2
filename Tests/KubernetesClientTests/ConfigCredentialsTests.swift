import Foundation
import KubernetesClient
import TestSupport
import Testing

/// Tokens from files that rotate and from credential plugins.
@Suite struct ConfigCredentialsTests {
    @Test func tokenFileIsReadAgainWhenRewritten() async throws {
        try await withConfigFolder { folder in
            try folder.write("token", "token-A\n")
            let credentials = Credentials(.tokenFile(folder.file("token")))
            #expect(try await credentials.authorization() == "Bearer token-A")
            #expect(try await credentials.authorization() == "Bearer token-A")
            try folder.write("token", "token-B-longer\n")
            #expect(try await credentials.authorization() == "Bearer token-B-longer")
            var dumped = ""
            dump(credentials, to: &dumped)
            for text in ["\(credentials)", String(reflecting: credentials), dumped] {
                #expect(!text.contains("token-B"), "\(text)")
            }
        }
    }

    /// The kubelet rotates a projected token by pointing the `..data` link at a new folder.
    @Test func tokenFileRotatedLikeTheKubelet() async throws {
        try await withConfigFolder { folder in
            let manager = FileManager.default
            try manager.createDirectory(atPath: folder.file("sa/..2026_1"), withIntermediateDirectories: true)
            try folder.write("sa/..2026_1/token", "rotated-AAAA")
            try manager.createSymbolicLink(atPath: folder.file("sa/..data"), withDestinationPath: "..2026_1")
            try manager.createSymbolicLink(atPath: folder.file("sa/token"), withDestinationPath: "..data/token")
            let credentials = Credentials(.tokenFile(folder.file("sa/token")))
            #expect(try await credentials.authorization() == "Bearer rotated-AAAA")

            try manager.createDirectory(atPath: folder.file("sa/..2026_2"), withIntermediateDirectories: true)
            try folder.write("sa/..2026_2/token", "rotated-BBBB")
            try manager.createSymbolicLink(atPath: folder.file("sa/..data_tmp"), withDestinationPath: "..2026_2")
            #expect(rename(folder.file("sa/..data_tmp"), folder.file("sa/..data")) == 0)
            try manager.removeItem(atPath: folder.file("sa/..2026_1"))
            #expect(try await credentials.authorization() == "Bearer rotated-BBBB")
        }
    }

    @Test func missingOrEmptyTokenFile() async throws {
        try await withConfigFolder { folder in
            let missing = Credentials(.tokenFile(folder.file("nope")))
            await #expect(
                throws: CredentialError.tokenFileUnreadable(
                    path: folder.file("nope"), reason: "No such file or directory")
            ) {
                _ = try await missing.authorization()
            }
            try folder.write("empty", "\n")
            await #expect(throws: CredentialError.tokenFileEmpty(path: folder.file("empty"))) {
                _ = try await Credentials(.tokenFile(folder.file("empty"))).authorization()
            }
        }
    }

    @Test func fixedTokenAndNone() async throws {
        #expect(try await Credentials(.token("abc")).authorization() == "Bearer abc")
        #expect(try await Credentials(.none).authorization() == nil)
        #expect(!"\(Credentials(.token("abc-secret")))".contains("abc-secret"))
    }

    /// A plugin that counts its runs in `count`, keeps its KUBERNETES_EXEC_INFO in
    /// `info`, and answers token `exec-token-N` expiring at `$EXPIRY`.
    private func countingPlugin(_ folder: ConfigFolder) throws -> String {
        try FileManager.default.createDirectory(atPath: folder.file("bin"), withIntermediateDirectories: true)
        try folder.write(
            "bin/plugin",
            """
            #!/bin/sh
            n=$(cat "$COUNT_DIR/count" 2>/dev/null || echo 0)
            n=$((n + 1))
            echo "$n" > "$COUNT_DIR/count"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$COUNT_DIR/info"
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
            printf '"status":{"token":"exec-token-%s","expirationTimestamp":"%s"}}\\n' "$n" "$EXPIRY"

            """, executable: true)
        return folder.file("bin/plugin")
    }

    private func plugin(
        _ command: String, folder: ConfigFolder, expiry: String, provideClusterInfo: Bool = false,
        installHint: String? = nil
    ) -> ExecCredentialConfig {
        ExecCredentialConfig(
            apiVersion: "client.authentication.k8s.io/v1", command: command,
            environment: ["COUNT_DIR": folder.path, "EXPIRY": expiry], installHint: installHint,
            provideClusterInfo: provideClusterInfo,
            cluster: ExecClusterInfo(
                server: "https://127.0.0.1:6443", certificateAuthorityData: Array("CA".utf8),
                tlsServerName: "kubernetes"),
            origin: "user test in kubeconfig /tmp/config")
    }

    @Test func execTokenIsCachedUntilInvalidated() async throws {
        try await withConfigFolder { folder in
            let command = try countingPlugin(folder)
            let credentials = Credentials(
                .exec(plugin(command, folder: folder, expiry: "2099-01-01T00:00:00Z", provideClusterInfo: true)))
            #expect(try await credentials.authorization() == "Bearer exec-token-1")
            #expect(try await credentials.authorization() == "Bearer exec-token-1")
            #expect(try folder.read("count") == "1\n")
            await credentials.invalidate()
            #expect(try await credentials.authorization() == "Bearer exec-token-2")
            #expect(try folder.read("count") == "2\n")

            let info = try JSONSerialization.jsonObject(with: Data(try folder.read("info").utf8)) as? [String: Any]
            #expect(info?["apiVersion"] as? String == "client.authentication.k8s.io/v1")
            #expect(info?["kind"] as? String == "ExecCredential")
            let spec = info?["spec"] as? [String: Any]
            #expect(spec?["interactive"] as? Bool == false)
            let cluster = spec?["cluster"] as? [String: Any]
            #expect(cluster?["server"] as? String == "https://127.0.0.1:6443")
            #expect(cluster?["certificate-authority-data"] as? String == "Q0E=")
            #expect(cluster?["tls-server-name"] as? String == "kubernetes")
        }
    }

    @Test func concurrentCallersShareOneRun() async throws {
        try await withConfigFolder { folder in
            let command = try countingPlugin(folder)
            let credentials = Credentials(.exec(plugin(command, folder: folder, expiry: "2099-01-01T00:00:00.5Z")))
            let answers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<8 { group.addTask { try await credentials.authorization() } }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(Set(answers) == ["Bearer exec-token-1"])
            #expect(try folder.read("count") == "1\n")
        }
    }

    @Test func expiredTokenRunsThePluginAgain() async throws {
        try await withConfigFolder { folder in
            let command = try countingPlugin(folder)
            let credentials = Credentials(.exec(plugin(command, folder: folder, expiry: "2001-01-01T00:00:00Z")))
            #expect(try await credentials.authorization() == "Bearer exec-token-1")
            #expect(try await credentials.authorization() == "Bearer exec-token-2")
            let info = try JSONSerialization.jsonObject(with: Data(try folder.read("info").utf8)) as? [String: Any]
            #expect((info?["spec"] as? [String: Any])?["cluster"] == nil)
        }
    }

    @Test func pluginFromAKubeconfigWrittenByKubectl() async throws {
        try await withConfigFolder { folder in
            let command = try countingPlugin(folder)
            let config = folder.file("config")
            try await folder.kubectl(config, "set-cluster", "c", "--server=https://127.0.0.1:6443")
            try await folder.kubectl(
                config, "set-credentials", "u", "--exec-command=\(command)",
                "--exec-api-version=client.authentication.k8s.io/v1", "--exec-env=COUNT_DIR=\(folder.path)",
                "--exec-env=EXPIRY=2099-01-01T00:00:00Z")
            try await folder.kubectl(config, "set-context", "c", "--cluster=c", "--user=u")
            let connection = try ClusterConnection.resolve(
                kubeconfig: config, context: "c", environment: [:], homeDirectory: "/nonexistent")
            #expect(try await Credentials(connection.credentials).authorization() == "Bearer exec-token-1")
        }
    }

    @Test func failingPluginNamesTheCommandAndItsStderr() async throws {
        try await withConfigFolder { folder in
            try folder.write(
                "failing",
                "#!/bin/sh\necho 'error: no credentials for profile dev' >&2\necho second line >&2\nexit 3\n",
                executable: true)
            let credentials = Credentials(.exec(plugin(folder.file("failing"), folder: folder, expiry: "")))
            let expected = CredentialError.pluginFailed(
                command: folder.file("failing"), origin: "user test in kubeconfig /tmp/config",
                status: "exited with status 3", stderr: "error: no credentials for profile dev", installHint: nil)
            await #expect(throws: expected) { _ = try await credentials.authorization() }
            #expect(
                expected.description
                    == "the credential plugin \(folder.file("failing")) (user test in kubeconfig /tmp/config) exited with status 3: error: no credentials for profile dev: run it by hand to see why"
            )
        }
    }

    @Test func missingPluginGivesTheInstallHint() async throws {
        try await withConfigFolder { folder in
            let config = plugin(
                folder.file("not-installed"), folder: folder, expiry: "",
                installHint: "Install aws-iam-authenticator:\n  see https://example.com/install")
            do {
                _ = try await Credentials(.exec(config)).authorization()
                Issue.record("a missing plugin gave a token")
            } catch let error as CredentialError {
                guard case .pluginNotStarted = error else {
                    Issue.record("expected pluginNotStarted, got \(error)")
                    return
                }
                #expect(error.description.contains(folder.file("not-installed")))
                #expect(
                    error.description.hasSuffix(
                        "No such file or directory: Install aws-iam-authenticator: see https://example.com/install"))
            }
        }
    }

    @Test func pluginThatHangsIsKilled() async throws {
        try await withConfigFolder { folder in
            try folder.write("hang", "#!/bin/sh\nsleep 600\n", executable: true)
            let credentials = Credentials(
                .exec(plugin(folder.file("hang"), folder: folder, expiry: "")), execTimeout: .seconds(1))
            await #expect(
                throws: CredentialError.pluginTimedOut(
                    command: folder.file("hang"), origin: "user test in kubeconfig /tmp/config", seconds: 1)
            ) { _ = try await credentials.authorization() }
        }
    }

    @Test func pluginOutputThatIsNotACredential() async throws {
        try await withConfigFolder { folder in
            try folder.write("chatty", "#!/bin/sh\necho 'Opening browser...'\n", executable: true)
            let credentials = Credentials(.exec(plugin(folder.file("chatty"), folder: folder, expiry: "")))
            do {
                _ = try await credentials.authorization()
                Issue.record("a plugin printing text gave a token")
            } catch let error as CredentialError {
                #expect(error.description.contains("printed no ExecCredential JSON on stdout"))
            }
        }
    }
}
