import Foundation

/// ContainerImage runs the binary of an OCI image (the one `Scripts/image`
/// builds) the way a container runtime would run the DaemonSet's container,
/// without one: the image unpacked by buildah, a mount and PID namespace rooted
/// in it with /proc mounted, and root holding CAP_NET_ADMIN alone.
public enum ContainerImage {
    /// The image the tests run, as buildah names it: `CTWATCH_IMAGE` (`.ci/run` sets
    /// it to what `Scripts/image` built there), or nil when it is not set.
    public static var name: String? {
        guard let value = ProcessInfo.processInfo.environment["CTWATCH_IMAGE"], !value.isEmpty else { return nil }
        return value
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "CTWATCH_IMAGE is not set: build the image with Scripts/image and set CTWATCH_IMAGE=ctwatch:latest"
        }
    }

    /// The image to test; throws when `CTWATCH_IMAGE` is not set (in CI, where the test runs anyway).
    public static func requireName() throws -> String {
        guard let name else { throw Missing() }
        return name
    }

    /// Unpacks `image` for `body`: a working container of it (`buildah from`),
    /// mounted (`buildah mount`), whose root filesystem `body` gets as a directory,
    /// with an empty `/proc` added to mount proc on. The container is removed
    /// afterwards, whether `body` returned or threw; the image is left as it was.
    public static func withRootFilesystem<T>(_ image: String, _ body: (String) async throws -> T) async throws -> T {
        let from = try await Subprocess.run("buildah", ["from", "--pull=never", "--quiet", image], timeout: 120)
        guard from.status == 0, let container = from.stdoutLines.last, !container.isEmpty else {
            throw SubprocessError(description: "buildah from \(image) failed: \(from)")
        }
        return try await Cleanup.after {
            let mount = try await Subprocess.run("buildah", ["mount", container], timeout: 60)
            guard mount.status == 0, let root = mount.stdoutLines.last, !root.isEmpty else {
                throw SubprocessError(description: "buildah mount \(container) failed: \(mount)")
            }
            try FileManager.default.createDirectory(atPath: root + "/proc", withIntermediateDirectories: true)
            return try await body(root)
        } cleanup: {
            _ = try? await Subprocess.run("buildah", ["umount", container], timeout: 60)
            _ = try? await Subprocess.run("buildah", ["rm", container], timeout: 60)
        }
    }

    /// The capabilities in this process's bounding set, by name (`capsh --print`).
    static let boundingSet: Result<[String], any Error> = Result {
        let print = try Subprocess.run("capsh", ["--print"], timeout: 30)
        guard print.status == 0,
            let line = print.stdoutLines.first(where: { $0.hasPrefix("Bounding set =") })
        else { throw SubprocessError(description: "capsh --print printed no bounding set: \(print)") }
        return line.dropFirst("Bounding set =".count).split(separator: ",").map(String.init)
    }

    /// The command that runs `/ctwatch arguments...` of the unpacked image at `root`:
    ///
    /// `ip netns exec NAMESPACE unshare --mount --pid --fork --kill-child --mount-proc=ROOT/proc
    /// capsh --chroot=ROOT --drop=ALL-BUT-KEPT --caps=KEPT+ep --shell=/ctwatch -- ARGUMENTS`
    ///
    /// The network namespace is entered from outside, since /run/netns is not in
    /// the image. capsh chroots while it still may, then drops from the bounding set
    /// every capability but `keep` and leaves `keep` alone in its permitted and
    /// effective sets (none inheritable, none ambient), and execs `/ctwatch`: a root
    /// process gets at exec exactly its bounding set, so ctwatch runs with `keep` only.
    public static func command(
        root: String, namespace: String, keep: [String] = ["cap_net_admin"], _ arguments: [String]
    ) throws -> [String] {
        let drop = try boundingSet.get().filter { !keep.contains($0) }
        return [
            "ip", "netns", "exec", namespace,
            "unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc=\(root)/proc",
            "capsh", "--chroot=\(root)", "--drop=\(drop.joined(separator: ","))",
            "--caps=" + (keep.isEmpty ? "" : keep.joined(separator: ",") + "+ep"),
            "--shell=/ctwatch", "--",
        ] + arguments
    }

    /// Runs `/ctwatch arguments...` of the image at `root` as `command` says, to completion.
    public static func run(
        root: String, namespace: String, keep: [String] = ["cap_net_admin"], _ arguments: [String],
        timeout: Double = 60
    ) async throws -> ProcessResult {
        let line = try command(root: root, namespace: namespace, keep: keep, arguments)
        return try await Subprocess.run(line[0], Array(line.dropFirst()), timeout: timeout)
    }

    /// Starts `/ctwatch arguments...` of the image at `root` in the background. Its
    /// `pid` is the `unshare` process; ctwatch is that process's only child.
    public static func start(
        root: String, namespace: String, keep: [String] = ["cap_net_admin"], _ arguments: [String]
    ) throws -> RunningProcess {
        let line = try command(root: root, namespace: namespace, keep: keep, arguments)
        return try Subprocess.start(line[0], Array(line.dropFirst()))
    }
}
