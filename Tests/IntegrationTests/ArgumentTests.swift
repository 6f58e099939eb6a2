import Foundation
import TestSupport
import Testing

/// Values ctwatch must refuse at the command line, before it opens a socket:
/// one line on stderr that names the option, exit status 2, nothing on stdout.
@Suite("ctwatch argument checks")
struct ArgumentTests {
    /// Each case: the arguments, then text the error line must hold. The
    /// `--duration` after some `events` cases only keeps a build that wrongly
    /// accepts the value from tailing events until the deadline.
    @Test(
        "A rejected value is named with its option",
        arguments: [
            (["events", "--count", "-1"], ["--count -1:", "positive integer"]),
            (["events", "--count", "0"], ["--count 0:", "positive integer"]),
            (
                ["stuck", "--cidr", "10.224.1.0/33"],
                ["ctwatch: error: invalid --cidr 10.224.1.0/33: the prefix length must be 0-32"]
            ),
            (["stuck", "--service-cidr", "10.233.0.0/16x"], ["--service-cidr 10.233.0.0/16x:"]),
            (["list", "--src", "10.0.0.0/33"], ["--src 10.0.0.0/33:"]),
            (["events", "--duration", "0x10"], ["--duration 0x10:", "decimal"]),
            (["events", "--duration", "1e3"], ["--duration 1e3:", "decimal"]),
            (["events", "--duration", "inf"], ["--duration inf:"]),
            (["stuck", "--min-age", "-1"], ["--min-age -1:"]),
            (["list", "--mark", "+5"], ["--mark +5:", "VALUE/MASK"]),
            (["list", "--mark", "5/+1"], ["--mark 5/+1:"]),
            (["list", "--proto", ""], [#"--proto "":"#, "at least one protocol"]),
            (["list", "--proto", ",,"], ["--proto ,,:", "at least one protocol"]),
            (["list", "--proto", "tcp,,udp"], ["--proto tcp,,udp:", "empty name"]),
            (["list", "--proto", "+6"], ["--proto +6:"]),
            (["events", "--types", "new,,destroy", "--duration", "1"], ["--types new,,destroy:", "empty name"]),
            (
                ["events", "--buffer-size", "9223372036854775807", "--duration", "1"],
                ["--buffer-size 9223372036854775807:", "2147483647", "SO_RCVBUFFORCE"]
            ),
            (
                ["events", "--max-buffer-size", "2147483648", "--duration", "1"],
                ["--max-buffer-size 2147483648:", "2147483647"]
            ),
            (["events", "--buffer-size", "1024", "--duration", "1"], ["--buffer-size 1024:", "4096"]),
            (["list", "--family", "ipx"], ["--family ipx:", "ipv4 or ipv6"]),
            (["stats", "--interval", "0", "--count", "1"], ["--interval 0:", "positive number of seconds"]),
            (["stats", "--interval", "0.5s", "--count", "1"], ["--interval 0.5s:", "decimal"]),
            (["stats", "--count", "-2"], ["--count -2:", "number of samples"]),
        ])
    func rejectedValue(arguments: [String], expected: [String]) async throws {
        let result = try await CTWatchBinary.run(arguments, timeout: 30)
        Self.expectUsageError(result)
        for text in expected { #expect(result.stderr.contains(text), "\(result)") }
        #expect(result.stderr.hasSuffix(" (see ctwatch --help)\n"), "\(result)")
        #expect(!result.stderr.contains("Missing value"), "\(result)")
    }

    @Test(
        "Options that only a watch uses are refused without --watch",
        arguments: [
            "--resync-interval", "--buffer-size", "--max-buffer-size", "--duration",
        ])
    func watchOnly(option: String) async throws {
        let value = option == "--resync-interval" || option == "--duration" ? "5" : "65536"
        let result = try await CTWatchBinary.run(["stuck", "--cidr", "10.224.1.0/24", option, value], timeout: 30)
        Self.expectUsageError(result)
        #expect(result.stderr.contains("\(option) goes with --watch"), "\(result)")
    }

    @Test(
        "A --family that contradicts an address prefix is refused",
        arguments: [
            ["list", "--family", "ipv4", "--src", "fd00::/8"],
            ["list", "--family", "ipv6", "--dst", "10.0.0.0/8"],
            ["events", "--family", "ipv4", "--dst", "fd00:233::172", "--duration", "1"],
            ["events", "--family", "ipv6", "--src", "10.224.1.0/24", "--duration", "1"],
        ])
    func familyContradiction(arguments: [String]) async throws {
        let result = try await CTWatchBinary.run(arguments, timeout: 30)
        Self.expectUsageError(result)
        #expect(result.stderr.contains("--family"), "\(result)")
        #expect(result.stderr.contains(arguments.contains("--src") ? "--src" : "--dst"), "\(result)")
    }

    @Test("An empty --pods or --services asks for a path or -", arguments: ["--pods", "--services"])
    func emptyDocumentPath(option: String) async throws {
        let result = try await CTWatchBinary.run(["stuck", "--cidr", "10.224.1.0/24", option, ""], timeout: 30)
        Self.expectUsageError(result)
        #expect(result.stderr.contains("\(option) needs a file path"), "\(result)")
        #expect(!result.stderr.contains("Is a directory"), "\(result)")
    }

    @Test("A closed stdout is said as such")
    func closedStandardOutput() async throws {
        let result = try await Self.shell(#""$CTWATCH" list >&-"#)
        #expect(!result.timedOut, "\(result)")
        #expect(result.status == 2, "\(result)")
        #expect(
            result.stderr
                == "ctwatch: error: stdout is closed: give ctwatch somewhere to write (a file, a pipe, or >/dev/null)\n",
            "\(result)")
    }

    @Test("--pods - with a closed stdin is said as such")
    func closedStandardInput() async throws {
        let result = try await Self.shell(#""$CTWATCH" stuck --cidr 10.224.1.0/24 --pods - <&-"#)
        Self.expectUsageError(result)
        #expect(result.stderr.contains("--pods -: standard input is closed"), "\(result)")
    }

    // MARK: Kubernetes documents

    @Test(
        "A named pipe given to --pods or --services is refused at once, not waited on",
        arguments: ["--pods", "--services"])
    func namedPipe(option: String) async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fifo = directory + "/documents.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let result = try await CTWatchBinary.run(["stuck", "--cidr", "10.224.1.0/24", option, fifo], timeout: 30)
        Self.expectUsageError(result)
        #expect(result.stderr.contains("\(option) \(fifo) is a named pipe (FIFO), not a regular file"), "\(result)")
    }

    @Test("A --pods file larger than the limit is refused, naming the limit")
    func oversizedFile() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/pods.json"
        // Sparse: 64 MiB + 1 of size without writing them.
        #expect(FileManager.default.createFile(atPath: path, contents: Data("{".utf8)))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(64 << 20) + 1)
        try handle.close()
        let result = try await Self.boundedMemory(#""$CTWATCH" stuck --cidr 10.224.1.0/24 --pods "$1""#, path)
        Self.expectUsageError(result)
        #expect(result.stderr.contains("--pods \(path) is larger than 64 MiB"), "\(result)")
    }

    @Test("/dev/zero as --pods is refused at once, naming the limit")
    func deviceAsPath() async throws {
        let result = try await Self.boundedMemory(#""$CTWATCH" stuck --cidr 10.224.1.0/24 --pods /dev/zero"#)
        Self.expectUsageError(result)
        #expect(result.stderr.contains("--pods /dev/zero is a character device, not a regular file"), "\(result)")
        #expect(result.stderr.contains("at most 64 MiB"), "\(result)")
    }

    @Test("Endless standard input for --pods - stops at the limit, naming it")
    func endlessStandardInput() async throws {
        let result = try await Self.boundedMemory(#""$CTWATCH" stuck --cidr 10.224.1.0/24 --pods - </dev/zero"#)
        #expect(!result.timedOut, "\(result)")
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderr.contains("pods on standard input is larger than 64 MiB"), "\(result)")
    }

    // MARK: helpers

    static func expectUsageError(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!result.timedOut, "\(result)", sourceLocation: sourceLocation)
        #expect(result.status == 2, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("ctwatch: error: "), "\(result)", sourceLocation: sourceLocation)
    }

    /// Runs `script` in bash with `$CTWATCH` set to the built executable.
    static func shell(_ script: String, _ arguments: String...) async throws -> ProcessResult {
        try await Subprocess.run(
            "bash", ["-c", script, "ctwatch-test"] + arguments,
            environment: ["CTWATCH": try CTWatchBinary.path()], timeout: 30)
    }

    /// `shell` with the address space capped at 4 GB: a build that reads
    /// without bound fails fast instead of taking the machine's memory.
    static func boundedMemory(_ script: String, _ arguments: String...) async throws -> ProcessResult {
        try await Subprocess.run(
            "bash", ["-c", "ulimit -v 4000000; " + script, "ctwatch-test"] + arguments,
            environment: ["CTWATCH": try CTWatchBinary.path()], timeout: 30)
    }

    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ctwatch-args-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
