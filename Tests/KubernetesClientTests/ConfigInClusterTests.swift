import Foundation
import KubernetesClient
import TestSupport
import Testing

/// In-cluster configuration from a service-account folder made like the kubelet's.
@Suite struct ConfigInClusterTests {
    private func serviceAccount(_ folder: ConfigFolder, namespace: String? = "monitoring") async throws -> String {
        try await folder.makeCertificates()
        let directory = folder.file("serviceaccount")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder.file("ca.crt"), toPath: directory + "/ca.crt")
        try folder.write("serviceaccount/token", "bound-token-A")
        if let namespace { try folder.write("serviceaccount/namespace", namespace) }
        return directory
    }

    private func resolve(
        _ environment: [String: String], kubeconfig: String? = nil, directory: String, home: String = "/nonexistent"
    ) throws -> ClusterConnection {
        try ClusterConnection.resolve(
            kubeconfig: kubeconfig, context: nil, environment: environment, homeDirectory: home,
            serviceAccountDirectory: directory)
    }

    @Test func podEnvironmentAndServiceAccountFiles() async throws {
        try await withConfigFolder { folder in
            let directory = try await serviceAccount(folder)
            let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
            let connection = try resolve(environment, directory: directory)
            #expect(connection.server.absoluteString == "https://10.96.0.1:443")
            #expect(connection.credentials == .tokenFile(directory + "/token"))
            #expect(connection.namespace == "monitoring")
            #expect(connection.origin == "in-cluster configuration")
            #expect(connection.tls.certificateAuthority?.bytes == Array(try folder.read("ca.crt").utf8))
            #expect(connection.warnings.isEmpty)
            #expect(try connection.tls.makeTLSConfiguration().trustRoots != nil)

            let credentials = Credentials(connection.credentials)
            #expect(try await credentials.authorization() == "Bearer bound-token-A")
            #expect(!"\(connection) \(credentials)".contains("bound-token-A"))
        }
    }

    @Test func contextIsIgnoredInAPodWithAWarning() async throws {
        try await withConfigFolder { folder in
            let directory = try await serviceAccount(folder)
            let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
            let connection = try ClusterConnection.resolve(
                kubeconfig: nil, context: "prod", environment: environment, homeDirectory: "/nonexistent",
                serviceAccountDirectory: directory)
            #expect(connection.origin == "in-cluster configuration")
            #expect(connection.warnings.count == 1)
            #expect(connection.warnings.first?.hasPrefix("context prod is ignored") == true)
        }
    }

    @Test func ipv6ServiceHostIsBracketed() async throws {
        try await withConfigFolder { folder in
            let directory = try await serviceAccount(folder, namespace: nil)
            let environment = ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "6443"]
            let connection = try resolve(environment, directory: directory)
            #expect(connection.server.absoluteString == "https://[fd00:10:96::1]:6443")
            #expect(connection.namespace == nil)
        }
    }

    @Test func explicitKubeconfigBeatsThePod() async throws {
        try await withConfigFolder { folder in
            let directory = try await serviceAccount(folder)
            let config = folder.file("config")
            try await folder.kubectl(config, "set-cluster", "c", "--server=https://192.0.2.1:6443")
            try await folder.kubectl(config, "set-context", "c", "--cluster=c")
            try await folder.kubectl(config, "use-context", "c")
            let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
            let connection = try resolve(environment, kubeconfig: config, directory: directory)
            #expect(connection.server.absoluteString == "https://192.0.2.1:6443")
        }
    }

    @Test func missingTokenIsNamed() async throws {
        try await withConfigFolder { folder in
            let directory = try await serviceAccount(folder)
            try FileManager.default.removeItem(atPath: directory + "/token")
            let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
            let error = thrownError(ClusterConfigError.self) { _ = try resolve(environment, directory: directory) }
            guard case .unreadableFile(let path, _, _) = error else {
                Issue.record("expected unreadableFile, got \(String(describing: error))")
                return
            }
            #expect(path == directory + "/token")
            #expect(error?.description.contains("No such file or directory") == true)
        }
    }
}
