import Foundation
import TestSupport
import Testing

/// ConfigFolder is a temporary folder for configuration tests: kubeconfigs
/// written by the real kubectl, and a CA, client certificate and key made by openssl.
struct ConfigFolder {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let path: String

    init() throws {
        let made = FileManager.default.temporaryDirectory.path + "/ctwatch-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: false)
        path = made
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The absolute path of `name` in the folder.
    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String, executable: Bool = false) throws {
        try text.write(toFile: file(name), atomically: false, encoding: .utf8)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file(name))
        }
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: file(name), encoding: .utf8)
    }

    /// Runs `kubectl config --kubeconfig KUBECONFIG ARGS...` in the folder.
    func kubectl(_ kubeconfig: String, _ arguments: String...) async throws {
        try await run("/usr/bin/kubectl", ["config", "--kubeconfig", kubeconfig] + arguments)
    }

    /// Makes `ca.crt`/`ca.key`, and `client.crt`/`client.key` signed by it, with openssl.
    func makeCertificates() async throws {
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(
            "openssl",
            ["req", "-x509"] + curve + [
                "-keyout", file("ca.key"), "-out", file("ca.crt"), "-days", "2", "-subj", "/CN=ctwatch-test-ca",
            ])
        try await run(
            "openssl",
            ["req"] + curve + ["-keyout", file("client.key"), "-out", file("client.csr"), "-subj", "/CN=admin"])
        try await run(
            "openssl",
            [
                "x509", "-req", "-in", file("client.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"),
                "-CAcreateserial", "-out", file("client.crt"), "-days", "2",
            ])
    }

    @discardableResult
    private func run(_ command: String, _ arguments: [String]) async throws -> ProcessResult {
        let result = try await Subprocess.run(command, arguments, timeout: 60)
        guard result.status == 0 else { throw Failure(description: "\(result)") }
        return result
    }
}

/// withConfigFolder runs `body` with a fresh ConfigFolder, removed afterwards.
func withConfigFolder<T>(_ body: (ConfigFolder) async throws -> T) async throws -> T {
    let folder = try ConfigFolder()
    return try await Cleanup.after({ try await body(folder) }, cleanup: { folder.remove() })
}
