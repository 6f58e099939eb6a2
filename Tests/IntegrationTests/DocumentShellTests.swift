import Foundation
import TestSupport
import Testing

/// `--pods` and `--services` as a shell hands them over, through the built
/// executable: the reads themselves are tested in process in
/// CTWatchCLITests, the refusals in ArgumentTests.
@Suite("Kubernetes documents from the shell")
struct DocumentShellTests {
    /// `--pods <(kubectl get pods -A -o json)` hands over /dev/fd/N, an
    /// anonymous pipe: it is read, not refused as a FIFO. The document is the
    /// wrong kind, so the decoder's error proves it was read, naming the path,
    /// before any conntrack table is touched.
    @Test("A process substitution given to --pods or --services is read", arguments: ["--pods", "--services"])
    func processSubstitution(option: String) async throws {
        let result = try await ArgumentTests.shell(
            #""$CTWATCH" stuck --cidr 10.224.1.0/24 "$1" <(printf '%s' '{"kind":"Deployment"}')"#, option)
        ArgumentTests.expectUsageError(result)
        let subject = option == "--pods" ? "pods" : "services"
        #expect(result.stderr.hasPrefix("ctwatch: error: \(subject) file \"/dev/fd/"), "\(result)")
        #expect(result.stderr.contains(#"": expected kind "#), "\(result)")
        #expect(result.stderr.contains(#"got "Deployment""#), "\(result)")
        #expect(!result.stderr.contains("named pipe"), "\(result)")
    }
}
