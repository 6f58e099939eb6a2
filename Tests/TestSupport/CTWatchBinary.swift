import Foundation

/// CTWatchBinary runs the built `ctwatch` executable, the one in the build
/// directory of the running test bundle, so the tests use whatever
/// `--scratch-path` and configuration built them.
public enum CTWatchBinary {
    /// The directories that may hold the build products, best first: the
    /// directory of the running executable (`/proc/self/exe`, the `.xctest`
    /// runner on Linux), of the main bundle, and of any `.xctest` mapped into
    /// the process (when a helper from the toolchain loads the tests).
    static func candidateDirectories() -> [String] {
        var directories: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append((exe as NSString).deletingLastPathComponent)
        }
        directories.append(Bundle.main.bundleURL.path)
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
        if let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) {
            for line in maps.split(separator: "\n") {
                guard let slash = line.firstIndex(of: "/") else { continue }
                let path = String(line[slash...])
                if let range = path.range(of: ".xctest") {
                    directories.append((String(path[..<range.upperBound]) as NSString).deletingLastPathComponent)
                }
            }
        }
        var seen = Set<String>()
        return directories.filter { seen.insert($0).inserted }
    }

    /// The path of the `ctwatch` executable (or `CTWATCH_BINARY` when set), or an error that says where it looked.
    public static let location: Result<String, SubprocessError> = {
        if let override = ProcessInfo.processInfo.environment["CTWATCH_BINARY"], !override.isEmpty {
            return access(override, X_OK) == 0
                ? .success(override)
                : .failure(SubprocessError(description: "CTWATCH_BINARY=\(override) is not an executable"))
        }
        let directories = candidateDirectories()
        for directory in directories {
            let candidate = directory + "/ctwatch"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                access(candidate, X_OK) == 0
            {
                return .success(candidate)
            }
        }
        return .failure(
            SubprocessError(
                description:
                    "the ctwatch executable is not built next to the test bundle (looked in \(directories.joined(separator: ", "))); "
                    + "run `swift build` with the same --scratch-path first, or set CTWATCH_BINARY"))
    }()

    /// The path of the built executable; throws a clear error when it is missing.
    public static func path() throws -> String { try location.get() }

    /// Runs `ctwatch args...` with `stdin` (nothing: /dev/null) and a deadline, without
    /// holding a thread of the Swift concurrency pool.
    public static func run(_ args: [String], stdin: String? = nil, timeout: Double = 60) async throws -> ProcessResult {
        try await Subprocess.run(path(), args, stdin: stdin, timeout: timeout)
    }

    /// Starts `ctwatch args...` in the background (for `events`).
    public static func start(_ args: [String]) throws -> RunningProcess {
        try Subprocess.start(path(), args)
    }

    /// StoppedRun is the outcome of `runUntil`: whether the condition was met, and what the process left.
    public struct StoppedRun: Sendable, CustomStringConvertible {
        /// Whether the condition held before the deadline.
        public var conditionMet: Bool
        public var result: ProcessResult
        public var description: String {
            (conditionMet ? "" : "(the condition was not met before the deadline)\n") + result.description
        }
    }

    /// Starts `ctwatch args...`, waits until `condition` holds for the complete lines
    /// of its standard output (or `timeout` seconds pass, or it exits), then stops it
    /// with `signal` and collects the rest. Long-running commands end when what the
    /// test waits for has happened, never at a fixed `--duration`.
    public static func runUntil(
        _ args: [String], stdin: String? = nil, timeout: Double = 30, signal: Int32 = SIGTERM,
        until condition: @escaping ([String]) -> Bool
    ) async throws -> StoppedRun {
        let process = try Subprocess.start(path(), args, stdin: stdin)
        return await process.stopWhen(timeout: timeout, signal: signal, until: condition)
    }

    /// Starts `ctwatch args...` in the background with `stdin` as its standard input.
    public static func start(_ args: [String], stdin: String?) throws -> RunningProcess {
        try Subprocess.start(path(), args, stdin: stdin)
    }

    /// PipelineResult is the outcome of `ctwatch ... | consumer ...`.
    public struct PipelineResult: Sendable, CustomStringConvertible {
        public var producerStatus: Int32
        public var producerStderr: String
        public var consumerStatus: Int32
        public var consumerStdout: String
        public var consumerStderr: String
        /// Whether the shell's deadline (`timeout`) ended the producer.
        public var timedOut: Bool { producerStatus == 124 }
        public var description: String {
            "ctwatch exited \(producerStatus)\(timedOut ? " (killed by its deadline)" : ""), stderr: \(producerStderr.isEmpty ? "(empty)" : producerStderr)\n"
                + "consumer exited \(consumerStatus), stdout: \(consumerStdout)\nconsumer stderr: \(consumerStderr)"
        }
    }

    /// Starts `timeout DEADLINE ctwatch producerArgs... | consumer...` as a real
    /// shell pipeline. The exit statuses and ctwatch's stderr are collected
    /// separately; `finish` waits for it. While it runs, `producerStderrSoFar`
    /// shows what ctwatch said (e.g. the `-v` subscription line).
    public final class Pipeline: @unchecked Sendable {
        private let shell: RunningProcess
        private let directory: URL

        init(producer: [String], consumer: [String], deadline: Double) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "ctwatch-pipe-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let script = """
                n=$1; shift
                p=("${@:1:$n}"); c=("${@:$((n + 1))}")
                timeout -s TERM "$CTW_DEADLINE" "${p[@]}" 2>"$CTW_DIR/producer.err" | "${c[@]}"
                echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}" >"$CTW_DIR/status"
                """
            let producerCommand = [try CTWatchBinary.path()] + producer
            shell = try Subprocess.start(
                "bash", ["-c", script, "pipeline", String(producerCommand.count)] + producerCommand + consumer,
                environment: ["CTW_DIR": directory.path, "CTW_DEADLINE": String(deadline)])
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// ctwatch's standard error as written so far.
        public var producerStderrSoFar: String {
            (try? String(contentsOf: directory.appendingPathComponent("producer.err"), encoding: .utf8)) ?? ""
        }

        /// Whether the pipeline is still running.
        public var isRunning: Bool { shell.isRunning }

        /// Waits for the pipeline to end (the shell's deadline is the real guard; `timeout` is a backstop).
        public func finish(timeout: Double = 120) async -> PipelineResult {
            let result = await shell.wait(timeout: timeout)
            let statusText =
                (try? String(contentsOf: directory.appendingPathComponent("status"), encoding: .utf8)) ?? ""
            let statuses = statusText.split(separator: " ").compactMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return PipelineResult(
                producerStatus: statuses.count == 2 ? statuses[0] : -1,
                producerStderr: producerStderrSoFar,
                consumerStatus: statuses.count == 2 ? statuses[1] : -1,
                consumerStdout: result.stdout,
                consumerStderr: result.stderr
                    + (result.timedOut ? "\n(pipeline killed at the test's backstop deadline)" : ""))
        }
    }

    /// Starts `ctwatch args... | consumer...`; ctwatch is killed after `deadline` seconds (status 124).
    public static func pipeline(_ args: [String], into consumer: [String], deadline: Double = 60) throws -> Pipeline {
        try Pipeline(producer: args, consumer: consumer, deadline: deadline)
    }

    /// A Python program that parses every line of its standard input with
    /// `json.loads` and prints one JSON summary: the line count, the lines that
    /// failed (with why), the parsed objects, and the raw input in base64 (the
    /// exact bytes the producer wrote). Exit status 0 when all parsed.
    public static let jsonLineParser = #"""
        import base64, json, sys
        raw = sys.stdin.buffer.read()
        lines = raw.split(b"\n")
        trailing = lines.pop() if lines else b""
        objects, errors = [], []
        for i, line in enumerate(lines):
            try:
                value = json.loads(line.decode("utf-8"))
                if not isinstance(value, dict):
                    raise ValueError("not an object")
                objects.append(value)
            except Exception as e:
                errors.append({"line": i + 1, "error": str(e), "text": line[:200].decode("utf-8", "replace")})
        if trailing:
            errors.append({"line": len(lines) + 1, "error": "no newline at the end", "text": trailing[:200].decode("utf-8", "replace")})
        json.dump({"lines": len(lines), "errors": errors, "objects": objects, "bytes": len(raw),
                   "raw": base64.b64encode(raw).decode("ascii")}, sys.stdout)
        sys.exit(1 if errors else 0)
        """#

    /// Starts `ctwatch args... | python3 -c <jsonLineParser>`.
    public static func pipelineIntoJSONParser(_ args: [String], deadline: Double = 60) throws -> Pipeline {
        try pipeline(args, into: ["python3", "-c", jsonLineParser], deadline: deadline)
    }

    /// The summary printed by `jsonLineParser`.
    public struct ParsedLines: @unchecked Sendable {
        public var lines: Int
        public var errors: [[String: Any]]
        public var objects: [[String: Any]]
        public var bytes: Int
        /// What the parser read from its standard input, byte for byte.
        public var raw: [UInt8]
        public init(pythonOutput: String) throws {
            guard let data = pythonOutput.data(using: .utf8),
                let summary = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let lines = summary["lines"] as? Int, let errors = summary["errors"] as? [[String: Any]],
                let objects = summary["objects"] as? [[String: Any]], let bytes = summary["bytes"] as? Int,
                let rawText = summary["raw"] as? String, let raw = Data(base64Encoded: rawText)
            else { throw SubprocessError(description: "the JSON line parser printed no summary: \(pythonOutput)") }
            self.lines = lines
            self.errors = errors
            self.objects = objects
            self.bytes = bytes
            self.raw = [UInt8](raw)
        }
    }
}

extension RunningProcess {
    /// Waits until `condition` holds for the complete lines of standard output (or
    /// `timeout` seconds pass, or the process exits), then stops the process with
    /// `signal` and collects everything it wrote.
    public func stopWhen(
        timeout: Double = 30, signal: Int32 = SIGTERM, until condition: ([String]) -> Bool
    ) async -> CTWatchBinary.StoppedRun {
        let met = await waitForStdout(timeout: timeout, until: condition)
        let result = await stop(signal)
        return CTWatchBinary.StoppedRun(conditionMet: met, result: result)
    }
}
