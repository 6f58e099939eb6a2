import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

@testable import ctwatch

/// The reads of `--pods` and `--services` files: what is read, how much, what
/// is refused before a read that could block, and how the file is named.
@Suite("Kubernetes document files")
struct DocumentFileTests {
    static func scratchPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ctwatch-kube-\(UUID().uuidString).\(suffix)")
            .path
    }

    static func scratchFile(_ contents: Data) -> String {
        let path = scratchPath("json")
        #expect(FileManager.default.createFile(atPath: path, contents: contents))
        return path
    }

    /// The KubeDocumentError thrown by `body`, or nil (recording an issue for any other error).
    static func error(_ body: () throws -> Void) -> KubeDocumentError? {
        thrownError(KubeDocumentError.self, body)
    }

    static let cartService =
        #"{"kind":"Service","metadata":{"name":"cart","namespace":"shop"},"spec":{"clusterIP":"10.233.5.9","ports":[{"port":8080}]}}"#

    @Test("A file over the limit is refused before it is read, naming the limit")
    func oversizedFile() throws {
        let path = Self.scratchFile(Data("{".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Sparse: 64 MiB + 1 of size without writing them.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(KubeDocument.sizeLimit) + 1)
        try handle.close()
        #expect(KubeDocument.sizeLimit == 64 << 20)
        let attempts: [() throws -> Void] = [
            { try DocumentFile.check(path, subject: "pods") },
            { _ = try DocumentFile.read(path, subject: "pods") },
        ]
        for attempt in attempts {
            let error = Self.error(attempt)
            #expect(error != nil, "an oversized file was accepted")
            #expect(error?.reason == .tooLarge(limit: 64 << 20))
            #expect(
                error?.description.hasPrefix(
                    "pods file \(DiagnosticText.quoted(path)) is larger than 64 MiB, the most ctwatch reads")
                    == true, "\(String(describing: error))")
        }
    }

    @Test("A file exactly at the limit is read")
    func fileAtLimit() throws {
        // Valid JSON padded with spaces to the byte.
        var document = Data(#"{"kind":"List","items":[]}"#.utf8)
        document.append(Data(repeating: 0x20, count: KubeDocument.sizeLimit - document.count))
        let path = Self.scratchFile(document)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try DocumentFile.check(path, subject: "pods")
        let read = try DocumentFile.read(path, subject: "pods")
        #expect(read.count == KubeDocument.sizeLimit)
        var state = ClusterState()
        try state.loadPods(json: read, path: path)
        #expect(state.view().podCount == 0)
    }

    @Test("A named pipe and a device are refused without being opened for a read that could block")
    func notFiles() throws {
        let fifo = Self.scratchPath("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: fifo) }
        for (path, kind) in [(fifo, "a named pipe (FIFO)"), ("/dev/null", "a character device")] {
            let attempts: [() throws -> Void] = [
                { try DocumentFile.check(path, subject: "services") },
                { _ = try DocumentFile.read(path, subject: "services") },
            ]
            for attempt in attempts {
                let error = Self.error(attempt)
                #expect(error != nil, "\(path) was accepted")
                #expect(error?.reason == .notAFile(kind))
                #expect(
                    error?.description(source: "--services \(path)")
                        == "--services \(path) is \(kind), not a regular file: save the output of kubectl get svc -A -o json to a file (at most 64 MiB), "
                        + "or pipe it to standard input")
            }
        }
    }

    @Test("A missing file is named, with the system's reason")
    func missingFile() {
        for attempt: () throws -> Void in [
            { try DocumentFile.check("/nonexistent/pods.json", subject: "pods") },
            { _ = try DocumentFile.read("/nonexistent/pods.json", subject: "pods") },
        ] {
            let error = Self.error(attempt)
            #expect(error?.description == #"cannot read pods file "/nonexistent/pods.json": No such file or directory"#)
            #expect(error?.reason == .unreadable("No such file or directory"))
        }
    }

    @Test("A directory is refused")
    func directory() {
        let error = Self.error { _ = try DocumentFile.read(NSTemporaryDirectory(), subject: "services") }
        #expect(error?.description == "cannot read services file \"\(NSTemporaryDirectory())\": Is a directory")
    }

    /// `--services <(kubectl get svc -A -o json)` hands over /dev/fd/N, a pipe.
    @Test("A pipe, as from shell process substitution, is read")
    func pipe() throws {
        let pipe = Pipe()
        try pipe.fileHandleForWriting.write(contentsOf: Data(Self.cartService.utf8))
        try pipe.fileHandleForWriting.close()
        defer { try? pipe.fileHandleForReading.close() }
        let path = "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)"
        try DocumentFile.check(path, subject: "services")
        var state = ClusterState()
        try state.loadServices(json: DocumentFile.read(path, subject: "services"), path: path)
        let services = state.view()
        #expect(services.serviceCount == 1)
        #expect(
            services.service(destination: try #require(IPAddress("10.233.5.9")), port: 8080, transport: .tcp)?.service
                .description == "shop/cart")
    }

    @Test("A file is read whole, and the decoder's errors name it")
    func regularFile() throws {
        let path = Self.scratchFile(Data(Self.cartService.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try DocumentFile.read(path, subject: "services")
        #expect(data == Data(Self.cartService.utf8))
        var state = ClusterState()
        try state.loadServices(json: data, path: path)
        #expect(state.view().serviceCount == 1)
        let error = Self.error { try state.loadPods(json: data, path: path) }
        #expect(error?.path == path)
        #expect(error?.description == "pods file \"\(path)\": expected kind List/PodList/Pod, got \"Service\"")
    }
}
