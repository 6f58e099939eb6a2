/// Diagnostics writes one-line messages to standard error, each in one write,
/// prefixed `ctwatch: `.
enum Diagnostics {
    static func line(_ text: String) {
        var bytes = Array(("ctwatch: " + text).utf8)
        bytes.append(0x0a)
        // Nowhere left to say that stderr failed.
        try? Syscalls.writeAll(2, bytes)
    }
}
