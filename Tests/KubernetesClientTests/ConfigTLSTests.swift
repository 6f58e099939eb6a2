import Foundation
import KubernetesClient
import NIOSSL
import TestSupport
import Testing

/// TLS configurations from openssl-made CA, certificate and key.
@Suite struct ConfigTLSTests {
    private func pem(_ folder: ConfigFolder, _ name: String) throws -> PEMData {
        PEMData(bytes: Array(try folder.read(name).utf8), origin: "test file \(name)")
    }

    @Test func caAndClientCertificate() async throws {
        try await withConfigFolder { folder in
            try await folder.makeCertificates()
            // Two CAs in one bundle: both are trusted.
            let bundle = try folder.read("ca.crt") + folder.read("client.crt")
            let settings = TLSSettings(
                certificateAuthority: PEMData(bytes: Array(bundle.utf8), origin: "bundle"),
                clientCertificate: .init(certificate: try pem(folder, "client.crt"), key: try pem(folder, "client.key"))
            )
            let configuration = try settings.makeTLSConfiguration()
            guard case .certificates(let roots) = configuration.trustRoots else {
                Issue.record(
                    "expected certificates as trust roots, got \(String(describing: configuration.trustRoots))")
                return
            }
            #expect(roots.count == 2)
            #expect(configuration.certificateChain.count == 1)
            #expect(configuration.privateKey != nil)
            #expect(configuration.certificateVerification == .fullVerification)
        }
    }

    @Test func systemRootsAndInsecure() throws {
        let system = try TLSSettings().makeTLSConfiguration()
        #expect(system.trustRoots == nil || system.trustRoots == .default)
        let insecure = try TLSSettings(insecureSkipTLSVerify: true).makeTLSConfiguration()
        #expect(insecure.certificateVerification == .none)
    }

    @Test func garbageIsNamed() async throws {
        try await withConfigFolder { folder in
            try await folder.makeCertificates()
            let garbage = PEMData(bytes: Array("not a certificate\n".utf8), origin: "certificate-authority /x/ca.crt")
            let badCA = thrownError(ClusterConfigError.self) {
                _ = try TLSSettings(certificateAuthority: garbage).makeTLSConfiguration()
            }
            guard case .badTLSMaterial(let origin, _) = badCA else {
                Issue.record("expected badTLSMaterial, got \(String(describing: badCA))")
                return
            }
            #expect(origin == "certificate-authority /x/ca.crt")
            #expect(badCA?.description.hasPrefix("certificate-authority /x/ca.crt is not usable for TLS: ") == true)

            let badKey = PEMData(bytes: Array(try folder.read("ca.crt").utf8), origin: "client-key /x/client.key")
            let keyError = thrownError(ClusterConfigError.self) {
                _ = try TLSSettings(
                    clientCertificate: .init(certificate: try pem(folder, "client.crt"), key: badKey)
                ).makeTLSConfiguration()
            }
            #expect(keyError?.description.hasPrefix("client-key /x/client.key is not usable for TLS") == true)
        }
    }

    @Test func badCertificateAuthorityFileInAKubeconfig() async throws {
        try await withConfigFolder { folder in
            try folder.write("ca.crt", "garbage")
            let config = folder.file("config")
            try await folder.kubectl(
                config, "set-cluster", "c", "--server=https://127.0.0.1:6443",
                "--certificate-authority=\(folder.file("ca.crt"))")
            try await folder.kubectl(config, "set-context", "c", "--cluster=c")
            let connection = try ClusterConnection.resolve(
                kubeconfig: config, context: "c", environment: [:], homeDirectory: "/nonexistent")
            let error = thrownError(ClusterConfigError.self) { _ = try connection.tls.makeTLSConfiguration() }
            #expect(
                error?.description.hasPrefix("certificate-authority \(folder.file("ca.crt")) is not usable") == true)
        }
    }
}
