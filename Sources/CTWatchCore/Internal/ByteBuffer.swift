import Conntrack

/// ByteBuffer is where the formatters build output lines: growable bytes with
/// appends that cost a bounds check and a store (no copy-on-write check, no
/// reference counting), because every JSON line passes through it. It owns
/// its memory and frees it once. Not thread-safe: one writer.
public final class ByteBuffer: ByteOutput {
    // One owner writes at a time (the type is not Sendable), so the runtime's
    // per-access exclusivity checks on these hot fields buy nothing.
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 64)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    public func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    public func append(literal text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    public func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    @inline(__always)
    public func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        append(UnsafeRawPointer(base), count: bytes.count)
    }

    @inline(__always)
    public func append(raw bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        append(base, count: bytes.count)
    }

    @inline(__always)
    private func append(_ source: UnsafeRawPointer, count length: Int) {
        if count + length > capacity { grow(to: count + length) }
        ByteBuffer.copy(source, to: storage + count, count: length)
        count += length
    }

    /// Most appends are keys, addresses and numbers of a few to a few dozen
    /// bytes: those are copied in 8-byte words by inline code, where a call
    /// to memmove cost more than the copy (a tenth of a JSON line's CPU).
    @inline(__always)
    private static func copy(_ source: UnsafeRawPointer, to target: UnsafeMutablePointer<UInt8>, count length: Int) {
        let destination = UnsafeMutableRawPointer(target)
        if length <= 64 {
            var offset = 0
            while offset + 8 <= length {
                destination.storeBytes(
                    of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset,
                    as: UInt64.self)
                offset += 8
            }
            while offset < length {
                destination.storeBytes(
                    of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
                offset += 1
            }
        } else {
            destination.copyMemory(from: source, byteCount: length)
        }
    }

    /// One capacity check for the whole member start, then plain stores.
    @inline(__always)
    public func appendMember(_ key: StaticString, comma: Bool, opener: UInt8) {
        let keyCount = key.utf8CodeUnitCount
        if count + keyCount + 5 > capacity { grow(to: count + keyCount + 5) }
        var at = storage + count
        if comma {
            at.pointee = UInt8(ascii: ",")
            at += 1
        }
        at.pointee = UInt8(ascii: "\"")
        ByteBuffer.copy(UnsafeRawPointer(key.utf8Start), to: at + 1, count: keyCount)
        at += 1 + keyCount
        at[0] = UInt8(ascii: "\"")
        at[1] = UInt8(ascii: ":")
        at += 2
        if opener != 0 {
            at.pointee = opener
            at += 1
        }
        count = at - storage
    }

    public func append(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    public func removeAll() { count = 0 }

    /// The bytes as an array (tests, small outputs).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// Calls `body` with the bytes written so far, without copying them; the
    /// pointer is valid only inside `body` (the front end writes them to a file).
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }
}
