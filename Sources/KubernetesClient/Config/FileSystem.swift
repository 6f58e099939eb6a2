#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// FileSystem holds the file system calls of the configuration code: reading
/// whole small files with the system's own reason on failure, and a file's
/// identity for noticing that a token file was replaced.
enum FileSystem {
    /// FileIdentity is what changes when a file is rewritten or replaced: device,
    /// inode, size and modification time of what the path leads to (symbolic
    /// links followed, as the kubelet swaps a `..data` link to rotate a token).
    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    /// FileError is an errno from a call on a path, as text.
    struct FileError: Error {
        var reason: String
    }

    /// Whether something exists at `path` (a dangling symbolic link does not count).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// identity stats `path`, following symbolic links.
    static func identity(_ path: String) throws(FileError) -> FileIdentity {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError(reason: errnoText()) }
        return FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// read returns the whole file at `path`; files of configuration are small, so
    /// anything over `limit` bytes is refused rather than read.
    static func read(_ path: String, limit: Int = 16 << 20) throws(FileError) -> [UInt8] {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw FileError(reason: errnoText()) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(reason: errnoText())
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { throw FileError(reason: "larger than \(limit) bytes") }
        }
        return bytes
    }

    static func errnoText(_ number: Int32 = errno) -> String {
        String(cString: strerror(number))
    }
}
