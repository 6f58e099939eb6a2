import Foundation
import TestSupport
import Testing

/// Where names come from, seen from the command line: bad configurations are
/// one line and exit 2; an API that does not answer delays a one-shot command
/// by --kubernetes-timeout, is said once, and the command still does its work;
/// the offline `--endpoints` file knows endpoints as the API does.
@Suite("Kubernetes sources from the command line")
struct KubernetesSourceTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctw-kube-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test(
        "a configuration ctwatch cannot use is one line naming it, exit 2",
        arguments: [
            (["list", "--kubeconfig", "/nonexistent/kubeconfig"], "/nonexistent/kubeconfig"),
            (["list", "--kubernetes", "--pods", "/dev/null"], "--pods and --kubernetes"),
            (["list", "--context", "kind-a"], "--context goes with --kubernetes"),
            (["stuck", "--node", "ctw-worker"], "--node goes with --kubernetes"),
        ])
    func badConfiguration(_ arguments: [String], _ expected: String) async throws {
        let result = try await CTWatchBinary.run(arguments, timeout: 60)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a kubeconfig context that does not exist is named, with the ones that do")
    func missingContext() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("config").path
        try await KubeEmulator.writeKubeconfig(
            path: kubeconfig, server: "https://127.0.0.1:6443", token: "t0k3n", name: "lab")
        let result = try await CTWatchBinary.run(["list", "--kubeconfig", kubeconfig, "--context", "prod"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("prod") && result.stderr.contains("lab"), "\(result.stderr)")
        #expect(!result.stderr.contains("t0k3n"))
    }

    @Test("an API that does not answer: list waits --kubernetes-timeout, says so once, and lists all the same")
    func apiAway() async throws {
        try Privilege.require()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("config").path
        // Port 9 on loopback: nothing listens, every connection is refused at once.
        try await KubeEmulator.writeKubeconfig(
            path: kubeconfig, server: "http://127.0.0.1:9", token: "t0k3n", name: "away")
        try await ScratchNamespace.with { name in
            let result = try await CTWatchBinary.run(
                ["list", "--netns", name, "--kubeconfig", kubeconfig, "--node", "n1", "--kubernetes-timeout", "1"],
                timeout: 60)
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("gave no complete answer in 1 s"), "\(result.stderr)")
            #expect(!result.stderr.contains("t0k3n"))
        }
    }
}
