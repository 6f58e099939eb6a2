import Foundation
import Testing

@testable import Conntrack

/// SHA1Tests checks the Community ID hasher against FIPS 180 vectors and
/// against block-boundary lengths, where padding bugs hide.
@Suite("SHA-1")
struct SHA1Tests {
    /// FIPS 180-2 appendix A vectors (and the empty message).
    @Test(
        "FIPS message vectors",
        arguments: [
            ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "a49b2446a02c645bf419f995b67091253a04a259"
            ),
        ])
    func fipsVectors(message: String, hex: String) {
        #expect(SHA1.hash(message.utf8, hardware: false).description == hex)
        #expect(SHA1.hash(message.utf8, hardware: true).description == hex)
    }

    @Test("one million 'a'", arguments: [false, true])
    func millionA(hardware: Bool) {
        var hasher = SHA1(hardware: hardware)
        for _ in 0..<1_000_000 { hasher.update(0x61) }
        #expect(hasher.finalize().description == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    /// Both compressions are tested only where the CPU has the SHA extensions:
    /// the detection must agree with the kernel's CPU flags, so a machine
    /// where the hardware path goes untested says so by this test.
    @Test("the SHA extensions are used exactly when /proc/cpuinfo lists sha_ni")
    func detection() throws {
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ").map(String.init) }
        #expect(SHA1Hardware.available == (flags?.contains("sha_ni") ?? false))
    }

    /// Random messages of every length up to three blocks: the two compressions agree.
    @Test("the hardware and portable compressions agree")
    func agree() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...192 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(SHA1.hash(message, hardware: true) == SHA1.hash(message, hardware: false), "length \(length)")
        }
    }

    /// Lengths around the 55/56/64-byte padding boundaries; the message is
    /// byte i = (7i + 3) mod 256. Expected values cross-checked with Python's hashlib.
    @Test(
        "padding boundaries",
        arguments: [
            (1, "9842926af7ca0a8cca12604f945414f07b01e13d"),
            (40, "211f8d2930f827e5c7a66cd81d79c1d2df12ea6b"),
            (55, "ddf57317ef34bfee3b6df83d359098930eb278bc"),
            (56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"),
            (57, "11a02dcf95859677a62e75024067c22b165d890f"),
            (63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"),
            (64, "bede92be29c3874e1b54ddc77988d606fc857a8e"),
            (65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"),
            (119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"),
            (120, "82134b02fb3f702491be9bed581eeab59334acb2"),
            (128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"),
        ])
    func boundaries(length: Int, hex: String) {
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        #expect(SHA1.hash(message, hardware: false).description == hex)
        #expect(SHA1.hash(message, hardware: true).description == hex)
    }

    /// The word-sized update paths must hash exactly like the same bytes fed one at a time,
    /// both word-aligned and not.
    @Test("multi-byte updates equal byte updates", arguments: [0, 1, 2, 3])
    func wordUpdates(offset: Int) {
        var bytewise = SHA1()
        var wordwise = SHA1()
        for _ in 0..<offset {
            bytewise.update(0xAA)
            wordwise.update(0xAA)
        }
        let sequence: [UInt8] = [0x12, 0x34, 0x9A, 0xBC, 0xDE, 0xF0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]
        for _ in 0..<9 { bytewise.update(contentsOf: sequence) }
        for _ in 0..<9 {
            wordwise.update(bigEndian: UInt16(0x1234))
            wordwise.update(bigEndian: UInt32(0x9ABC_DEF0))
            wordwise.update(bigEndian: UInt64(0x0123_4567_89AB_CDEF))
        }
        #expect(bytewise.finalize() == wordwise.finalize())
    }
}
