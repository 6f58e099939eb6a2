/// SHA1 computes FIPS 180-4 SHA-1 digests without touching the heap.
///
/// It exists only because Community ID v1 is defined over SHA-1; it is not
/// meant for anything security-related. The 64-byte input block and the
/// 16-word rolling message schedule live in `InlineArray`s, so a hasher is a
/// plain stack value: the Community ID input (at most 40 bytes, one block)
/// is hashed with no allocation at all.
///
/// Bytes are packed straight into big-endian 32-bit words as they arrive,
/// which is the form the compression function consumes anyway. On CPUs with
/// the x86 SHA extensions a block is compressed by them (SHA1Hardware);
/// elsewhere by the portable rounds below.
struct SHA1 {
    /// Digest is a 160-bit SHA-1 result as five big-endian words (`h0` first).
    struct Digest: Equatable, CustomStringConvertible {
        var words: InlineArray<5, UInt32>

        /// The digest byte at `index` (0..<20), in the standard output order.
        func byte(at index: Int) -> UInt8 {
            UInt8(truncatingIfNeeded: words[index &>> 2] &>> UInt32(24 - (index & 3) * 8))
        }

        /// The 40-character lowercase hex form, as printed by `sha1sum`.
        var description: String {
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(40)
            for index in 0..<20 {
                let value = byte(at: index)
                out.append(digits[Int(value >> 4)])
                out.append(digits[Int(value & 0xf)])
            }
            return String(decoding: out, as: UTF8.self)
        }

        static func == (lhs: Digest, rhs: Digest) -> Bool {
            for index in 0..<5 where lhs.words[index] != rhs.words[index] { return false }
            return true
        }
    }

    private var state: InlineArray<5, UInt32> = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
    /// The block being filled, as 16 big-endian words; bytes are OR-ed in,
    /// so the words must be zero before each block starts.
    private var block = InlineArray<16, UInt32>(repeating: 0)
    /// Bytes already in `block` (0..<64).
    private var blockFill = 0
    /// Total message length in bytes, for the final length field.
    private var length: UInt64 = 0
    /// Whether blocks go to the SHA extensions.
    private let hardware: Bool

    /// A hasher that uses the SHA extensions where the CPU has them.
    init() { hardware = SHA1Hardware.available }

    /// A hasher that uses the SHA extensions only when `hardware` and the
    /// CPU has them (tests run both).
    init(hardware: Bool) { self.hardware = hardware && SHA1Hardware.available }

    /// Appends one byte of message.
    @inline(__always)
    mutating func update(_ byte: UInt8) {
        block[blockFill &>> 2] |= UInt32(byte) &<< UInt32(24 - (blockFill & 3) * 8)
        blockFill &+= 1
        length &+= 1
        if blockFill == 64 { compressBlock() }
    }

    /// Appends `value` as two bytes, most significant first (network order).
    @inline(__always)
    mutating func update(bigEndian value: UInt16) {
        update(UInt8(truncatingIfNeeded: value &>> 8))
        update(UInt8(truncatingIfNeeded: value))
    }

    /// Appends `value` as four bytes, most significant first (network order).
    @inline(__always)
    mutating func update(bigEndian value: UInt32) {
        if blockFill & 3 == 0 {
            // Word-aligned: the whole value is exactly one schedule word.
            block[blockFill &>> 2] = value
            blockFill &+= 4
            length &+= 4
            if blockFill == 64 { compressBlock() }
        } else {
            update(bigEndian: UInt16(truncatingIfNeeded: value &>> 16))
            update(bigEndian: UInt16(truncatingIfNeeded: value))
        }
    }

    /// Appends `value` as eight bytes, most significant first (network order).
    @inline(__always)
    mutating func update(bigEndian value: UInt64) {
        update(bigEndian: UInt32(truncatingIfNeeded: value &>> 32))
        update(bigEndian: UInt32(truncatingIfNeeded: value))
    }

    /// Appends every byte of `bytes`.
    mutating func update(contentsOf bytes: some Sequence<UInt8>) {
        for byte in bytes { update(byte) }
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns the digest. The
    /// hasher is consumed: SHA-1 state cannot be extended after padding.
    consuming func finalize() -> Digest {
        let bitLength = length &* 8
        update(0x80)
        // The 64-bit length needs the last two words of a block; if they are
        // taken, pad out this block and put the length in a fresh one.
        if blockFill > 56 { compressBlock() }
        block[14] = UInt32(truncatingIfNeeded: bitLength &>> 32)
        block[15] = UInt32(truncatingIfNeeded: bitLength)
        compressBlock()
        return Digest(words: state)
    }

    /// Hashes a whole message in one call.
    static func hash(_ bytes: some Sequence<UInt8>, hardware: Bool = true) -> Digest {
        var hasher = SHA1(hardware: hardware)
        hasher.update(contentsOf: bytes)
        return hasher.finalize()
    }

    /// Runs the 80-round compression over `block`, then clears it for the next one.
    private mutating func compressBlock() {
        if hardware {
            SHA1Hardware.compress(&state, block)
        } else {
            compressPortably()
        }
        block = InlineArray(repeating: 0)
        blockFill = 0
    }

    /// FIPS 180-4 §6.1.2's 80 rounds, in Swift.
    private mutating func compressPortably() {
        var w = block
        var a = state[0]
        var b = state[1]
        var c = state[2]
        var d = state[3]
        var e = state[4]

        // The schedule is kept as a 16-word ring: W[t] replaces W[t-16] in place.
        @inline(__always)
        func schedule(_ t: Int) -> UInt32 {
            if t < 16 { return w[t] }
            let s = t & 15
            let x = w[(t &+ 13) & 15] ^ w[(t &+ 8) & 15] ^ w[(t &+ 2) & 15] ^ w[s]
            let rotated = (x &<< 1) | (x &>> 31)
            w[s] = rotated
            return rotated
        }

        @inline(__always)
        func round(_ f: UInt32, _ k: UInt32, _ word: UInt32) {
            let temp = ((a &<< 5) | (a &>> 27)) &+ f &+ e &+ k &+ word
            e = d
            d = c
            c = (b &<< 30) | (b &>> 2)
            b = a
            a = temp
        }

        for t in 0..<20 { round((b & c) | (~b & d), 0x5A82_7999, schedule(t)) }
        for t in 20..<40 { round(b ^ c ^ d, 0x6ED9_EBA1, schedule(t)) }
        for t in 40..<60 { round((b & c) | (b & d) | (c & d), 0x8F1B_BCDC, schedule(t)) }
        for t in 60..<80 { round(b ^ c ^ d, 0xCA62_C1D6, schedule(t)) }

        state[0] &+= a
        state[1] &+= b
        state[2] &+= c
        state[3] &+= d
        state[4] &+= e
    }
}
