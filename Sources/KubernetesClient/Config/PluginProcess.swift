import FoundationEssentials
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// PluginProcess runs a credential plugin to completion and collects what it
/// wrote, on a thread of its own so that no thread of the Swift concurrency
/// pool waits for it.
///
/// The plugin starts with standard input on /dev/null, the default disposition
/// for every signal and no signal blocked (whatever the calling thread blocks or
/// the process ignores), in a process group of its own, so that at the deadline
/// the plugin and anything it started are killed together.
enum PluginProcess {
    /// Outcome is a finished run.
    struct Outcome: Sendable {
        /// The exit status; nil when a signal ended the plugin.
        var exitStatus: Int32?
        /// The signal that ended it, if one did.
        var signal: Int32?
        var stdout: [UInt8]
        var stderr: [UInt8]
        /// Whether it outlived the deadline and was killed.
        var timedOut: Bool
    }

    /// SpawnError is the errno of a plugin that could not be started (ENOENT: not found).
    struct SpawnError: Error {
        var number: Int32
        var reason: String { FileSystem.errnoText(number) }
    }

    /// The most output kept from each stream: an ExecCredential is a few kilobytes.
    static let outputLimit = 4 << 20

    static func run(
        command: String, arguments: [String], environment: [String: String], timeout: Duration
    ) async -> Result<Outcome, SpawnError> {
        // A pool of one thread for this run: a plugin that hangs until its
        // deadline holds no thread anything else needs.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }
        do {
            return try await pool.runIfActive {
                runBlocking(command: command, arguments: arguments, environment: environment, timeout: timeout)
            }
        } catch {
            // Only a pool that is not running refuses work; this one was just started.
            return .failure(SpawnError(number: EAGAIN))
        }
    }

    private static func runBlocking(
        command: String, arguments: [String], environment: [String: String], timeout: Duration
    ) -> Result<Outcome, SpawnError> {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { return .failure(SpawnError(number: errno)) }
        guard pipe(&errPipe) == 0 else {
            let number = errno
            close(outPipe[0])
            close(outPipe[1])
            return .failure(SpawnError(number: number))
        }
        // pipe2(O_CLOEXEC) is not visible to Swift: mark them afterwards, so that
        // other children started meanwhile do not hold the write ends open.
        for descriptor in outPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            return .failure(SpawnError(number: spawned))
        }

        let deadline = ContinuousClock.now.advanced(by: timeout)
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var reading: [(descriptor: Int32, isStdout: Bool)] = [(outPipe[0], true), (errPipe[0], false)]
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !reading.isEmpty {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                timedOut = true
                kill(-pid, SIGKILL)
                break
            }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + 1)
            var polled = reading.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            var finished: [Int32] = []
            for (index, entry) in polled.enumerated() where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    finished.append(entry.fd)
                    continue
                }
                if reading[index].isStdout {
                    if stdout.count < outputLimit { stdout.append(contentsOf: buffer[0..<count]) }
                } else if stderr.count < outputLimit {
                    stderr.append(contentsOf: buffer[0..<count])
                }
            }
            for descriptor in finished { close(descriptor) }
            reading.removeAll { finished.contains($0.descriptor) }
        }
        for entry in reading { close(entry.descriptor) }

        // The plugin may close its output and go on running: it still has the deadline.
        var status: Int32 = 0
        while true {
            let waited = waitpid(pid, &status, timedOut ? 0 : WNOHANG)
            if waited == pid { break }
            if waited < 0 {
                if errno == EINTR { continue }
                break
            }
            if ContinuousClock.now >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)
            } else {
                usleep(10_000)
            }
        }
        // The wait status, decoded as <sys/wait.h>'s macros (not importable) do.
        let signal = status & 0x7f
        return .success(
            Outcome(
                exitStatus: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal,
                stdout: stdout, stderr: stderr, timedOut: timedOut))
    }
}
