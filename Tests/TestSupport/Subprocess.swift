import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// ProcessResult is what a finished child process left behind.
public struct ProcessResult: Sendable, CustomStringConvertible {
    /// The exit status, or 128 + the signal number when a signal ended it (as shells report it).
    public var status: Int32
    /// Standard output decoded as UTF-8 (invalid bytes replaced): for text checks.
    public var stdout: String
    /// Standard output exactly as the child wrote it: for checks of framing and encoding.
    public var stdoutBytes: [UInt8]
    public var stderr: String
    /// Whether the process outlived its deadline and was killed.
    public var timedOut: Bool
    /// The command line, for failure messages.
    public var command: [String]

    /// The lines of standard output, without their `\n` (no empty last element).
    public var stdoutLines: [String] { Self.lines(stdout) }
    /// The lines of standard error, without their `\n`.
    public var stderrLines: [String] { Self.lines(stderr) }

    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    public var description: String {
        "`\(command.joined(separator: " "))` exited \(status)\(timedOut ? " (killed at its deadline)" : "")\n"
            + "stdout: \(stdout.isEmpty ? "(empty)" : stdout)\nstderr: \(stderr.isEmpty ? "(empty)" : stderr)"
    }
}

/// SubprocessError says why a child could not be started.
public struct SubprocessError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// RunningProcess is a started child whose output is being collected.
///
/// Output is drained on threads of their own (never the Swift concurrency
/// pool), so a child that writes a lot never blocks on a full pipe. Safe to
/// share across threads.
public final class RunningProcess: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()
    private let drained = DispatchGroup()
    private var killedAtDeadline = false
    public let command: [String]

    /// The child's process id.
    public var pid: Int32 { process.processIdentifier }

    init(_ executable: String, _ arguments: [String], stdin: String?, environment: [String: String]?) throws {
        command = [executable] + arguments
        process = Process()
        // Children inherit ignored signals across exec, and something in the test process
        // (LineSink, EventTail, for two) ignores SIGPIPE, SIGINT and SIGTERM:
        // `env --default-signal` gives every child the default dispositions back, so a
        // pipeline test sees what a shell user would. env execs the command in place:
        // the pid is the command's.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--default-signal", try Subprocess.resolve(executable)] + arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe: Pipe? = stdin == nil ? nil : Pipe()
        process.standardInput = inPipe ?? FileHandle.nullDevice
        do {
            try Subprocess.spawnWithEmptySignalMask(process)
        } catch {
            throw SubprocessError(description: "cannot start \(command.joined(separator: " ")): \(error)")
        }
        // The parent must not keep the child's ends, or a reader never sees EOF.
        try? outPipe.fileHandleForWriting.close()
        try? errPipe.fileHandleForWriting.close()
        drain(outPipe.fileHandleForReading) { [self] data in lock.withLock { stdoutData.append(data) } }
        drain(errPipe.fileHandleForReading) { [self] data in lock.withLock { stderrData.append(data) } }
        if let inPipe, let stdin {
            try? inPipe.fileHandleForReading.close()
            let writer = inPipe.fileHandleForWriting
            let bytes = Data(stdin.utf8)
            Thread.detachNewThread {
                // A child that exits without reading must give this thread EPIPE, not
                // the test process SIGPIPE: block it here (the signal is thread-directed).
                var pipeOnly = sigset_t()
                sigemptyset(&pipeOnly)
                sigaddset(&pipeOnly, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeOnly, nil)
                try? writer.write(contentsOf: bytes)
                try? writer.close()
            }
        }
    }

    private func drain(_ handle: FileHandle, _ append: @escaping @Sendable (Data) -> Void) {
        drained.enter()
        Thread.detachNewThread { [drained] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                append(chunk)
            }
            try? handle.close()
            drained.leave()
        }
    }

    /// Standard error as received so far (complete only after `wait`).
    public var stderrSoFar: String { lock.withLock { String(decoding: stderrData, as: UTF8.self) } }

    /// Standard output as received so far (complete only after `wait`).
    public var stdoutSoFar: String { lock.withLock { String(decoding: stdoutData, as: UTF8.self) } }

    /// Polls until standard error contains `text`; false if the child exits or `timeout` passes first.
    public func waitForStderr(containing text: String, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderrSoFar.contains(text) { return true }
            if !isRunning { break }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        // Checked once more after the deadline: a test task that the pool resumed late
        // must not miss text that arrived in time.
        if !isRunning { _ = drained.wait(timeout: .now() + 5) }
        return stderrSoFar.contains(text)
    }

    /// The complete lines of standard output received so far (a line still being written is left out).
    public var stdoutLinesSoFar: [String] {
        var lines = stdoutSoFar.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // empty after a final newline, else the unfinished line
        return lines
    }

    /// Polls until `condition` holds for the complete lines of standard output so far;
    /// false if the child exits or `timeout` passes first.
    public func waitForStdout(timeout: Double, until condition: ([String]) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(stdoutLinesSoFar) { return true }
            if !isRunning { break }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        // The child may have written its last lines as it exited.
        if !isRunning { _ = drained.wait(timeout: .now() + 5) }
        return condition(stdoutLinesSoFar)
    }

    /// Sends `signal` (SIGTERM by default) and waits for the child to exit; it is killed
    /// if it still runs `timeout` seconds later (then `timedOut` is true).
    public func stop(_ number: Int32 = SIGTERM, timeout: Double = 20) async -> ProcessResult {
        signal(number)
        return await wait(timeout: timeout)
    }

    /// Whether the child is still running.
    public var isRunning: Bool { exitStatus() == nil }

    /// Sends `signal` to the child (SIGTERM by default).
    public func signal(_ number: Int32 = SIGTERM) {
        if isRunning { kill(process.processIdentifier, number) }
    }

    /// The child's exit status (128 + the signal when a signal ended it), nil
    /// while it runs. Foundation's Process learns of the exit from SIGCHLD and
    /// once left a child a zombie for good while it still said "running" (a
    /// whole test run hung in `waitUntilExit`, under stress-ng): the kernel is
    /// asked too, without reaping the child, which stays Foundation's to reap.
    private func exitStatus() -> Int32? {
        if !process.isRunning {
            return process.terminationReason == .uncaughtSignal
                ? 128 + process.terminationStatus : process.terminationStatus
        }
        var info = siginfo_t()
        let pid = process.processIdentifier
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
            info._sifields._sigchld.si_pid == pid
        else { return nil }
        let status = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED ? status : 128 + status
    }

    /// Waits for the child to exit, killing it (TERM, then KILL) if it is still
    /// running after `timeout` seconds. Blocks the calling thread; polls the
    /// child's state every few milliseconds.
    public func wait(timeout: Double) -> ProcessResult {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let status: Int32
        var signalled: Int32 = 0
        while true {
            if let exited = exitStatus() {
                status = exited
                break
            }
            if signalled == 0 && elapsed() > timeout {
                lock.withLock { killedAtDeadline = true }
                kill(process.processIdentifier, SIGTERM)
                signalled = SIGTERM
            } else if signalled == SIGTERM && elapsed() > timeout + 2 {
                kill(process.processIdentifier, SIGKILL)
                signalled = SIGKILL
            }
            usleep(2_000)
        }
        // Grandchildren may hold the pipes open: give them a moment, then stop waiting.
        _ = drained.wait(timeout: .now() + 5)
        return lock.withLock {
            ProcessResult(
                status: status, stdout: String(decoding: stdoutData, as: UTF8.self), stdoutBytes: [UInt8](stdoutData),
                stderr: String(decoding: stderrData, as: UTF8.self), timedOut: killedAtDeadline, command: command)
        }
    }

    /// `wait(timeout:)` without holding a thread of the Swift concurrency pool.
    public func wait(timeout: Double) async -> ProcessResult {
        await Subprocess.offPool { self.wait(timeout: timeout) }
    }
}

/// Subprocess runs commands with their output captured and a deadline.
public enum Subprocess {
    /// Starts `executable` (a path, or a name looked up in PATH) with `arguments`.
    /// `stdin` is written to its standard input, which is /dev/null when nil.
    public static func start(
        _ executable: String, _ arguments: [String] = [], stdin: String? = nil, environment: [String: String]? = nil
    ) throws -> RunningProcess {
        try RunningProcess(executable, arguments, stdin: stdin, environment: environment)
    }

    /// Runs a command to completion (killed after `timeout` seconds). Blocks the calling thread.
    public static func run(
        _ executable: String, _ arguments: [String] = [], stdin: String? = nil,
        environment: [String: String]? = nil, timeout: Double = 60
    ) throws -> ProcessResult {
        try start(executable, arguments, stdin: stdin, environment: environment).wait(timeout: timeout)
    }

    /// Runs a command to completion without holding a thread of the Swift concurrency pool.
    public static func run(
        _ executable: String, _ arguments: [String] = [], stdin: String? = nil,
        environment: [String: String]? = nil, timeout: Double = 60
    ) async throws -> ProcessResult {
        let process = try start(executable, arguments, stdin: stdin, environment: environment)
        return await process.wait(timeout: timeout)
    }

    /// Runs blocking work on a thread of its own and resumes the caller when it is done,
    /// so that tests blocked on child processes never starve the (2-thread) cooperative pool.
    public static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    private final class SpawnBox: @unchecked Sendable {
        let process: Process
        var error: (any Error)?
        init(_ process: Process) { self.process = process }
    }

    /// Starts `process` from a thread whose signal mask is empty. posix_spawn passes
    /// the calling thread's mask to the child, and the threads tests run on (the
    /// concurrency pool, dispatch workers) block SIGINT, SIGTERM, SIGHUP and more:
    /// a child started from them could not be stopped with `kill` or Ctrl-C.
    static func spawnWithEmptySignalMask(_ process: Process) throws {
        let box = SpawnBox(process)
        let spawned = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try box.process.run() } catch { box.error = error }
            spawned.signal()
        }
        thread.start()
        spawned.wait()
        if let error = box.error { throw error }
    }

    /// The absolute path of `name`: itself when it contains a `/`, else the first match in PATH.
    public static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in (path + ":/usr/local/sbin:/usr/sbin:/sbin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw SubprocessError(description: "\(name) not found in PATH (\(path))")
    }
}
