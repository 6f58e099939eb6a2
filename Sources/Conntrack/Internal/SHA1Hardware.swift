import CNetfilterConntrack

/// SHA1Hardware is the x86 SHA extensions' block compression
/// (`ctw_sha1_compress_hardware` in the C module), for CPUs that have them.
enum SHA1Hardware {
    /// Whether this CPU has the SHA extensions (with SSSE3 and SSE4.1); asked once.
    static let available = ctw_sha1_hardware() != 0

    /// Compresses one block into `state`. Only when `available`.
    @inline(__always)
    static func compress(_ state: inout InlineArray<5, UInt32>, _ block: InlineArray<16, UInt32>) {
        withUnsafeMutablePointer(to: &state) { state in
            withUnsafePointer(to: block) { block in
                ctw_sha1_compress_hardware(
                    UnsafeMutableRawPointer(state).assumingMemoryBound(to: UInt32.self),
                    UnsafeRawPointer(block).assumingMemoryBound(to: UInt32.self))
            }
        }
    }
}
