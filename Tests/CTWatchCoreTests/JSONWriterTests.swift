import CTWatchCore
import Conntrack
import Foundation
import TestSupport
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    static func object(_ body: (inout JSONWriter<[UInt8]>) -> Void) -> String {
        var json = JSONWriter(capacity: 64)
        json.beginObject()
        body(&json)
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    @Test(
        "Strings are escaped per RFC 8259",
        arguments: [
            ("plain", #""plain""#),
            ("say \"hi\"", #""say \"hi\"""#),
            (#"C:\path\n"#, #""C:\\path\\n""#),
            ("line\nbreak", #""line\nbreak""#),
            ("cr\rtab\t", #""cr\rtab\t""#),
            ("\u{0}\u{1}\u{8}\u{c}\u{1b}\u{1f}", #""\u0000\u0001\u0008\u000c\u001b\u001f""#),
            ("del\u{7f}", #""del\u007f""#),
            ("/slash/ is fine", #""/slash/ is fine""#),
            ("é ü 日本 😀", "\"é ü 日本 😀\""),
            ("\u{2028}\u{2029}", "\"\u{2028}\u{2029}\""),
            ("", #""""#),
        ])
    func escaping(text: String, encoded: String) throws {
        let line = Self.object { $0.field("k", text) }
        #expect(line == "{\"k\":\(encoded)}")
        // Both a lenient and a strict parser read the text back unchanged.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["k"] as? String == text)
        #expect(try StrictJSON.parse(line)["k"] == .string(text))
    }

    @Test("Every ASCII and control character survives a round trip, in fields and array elements")
    func allCharacters() throws {
        let text = String(decoding: Array(0..<128).map(UInt8.init) + Array("é😀".utf8), as: UTF8.self)
        var json = JSONWriter(capacity: 64)
        json.beginObject()
        json.field("k", text)
        json.beginArray("a")
        json.element(text)
        json.element(text)
        json.endArray()
        json.endObject()
        json.newline()
        let line = json.bytes
        #expect(line.filter { $0 < 0x20 } == [0x0a])
        #expect(line.last == 0x0a)
        let value = try StrictJSON.parse(line)
        #expect(value["k"] == .string(text))
        #expect(value["a"] == .array([.string(text), .string(text)]))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["k"] as? String == text)
    }

    @Test("Nesting, commas and value kinds")
    func structure() throws {
        let line = Self.object { json in
            json.field("s", "x")
            json.field("i", 42)
            json.field("zero", 0)
            json.field("neg", -17)
            json.field("big", UInt64.max)
            json.field("min8", Int8.min)
            json.field("t", true)
            json.field("f", false)
            json.field("ip", IPAddress("fd00:224:1::34")!)
            json.field("lit", "static" as StaticString)
            json.field("digits", ascii: { ASCIIDigits.append(8080, to: &$0) })
            json.beginObject("o")
            json.beginObject("inner")
            json.endObject()
            json.field("after", 1)
            json.endObject()
            json.beginArray("empty")
            json.endArray()
            json.beginArray("a")
            json.element("one")
            json.element(IPAddress("10.224.1.34")!)
            json.element("three" as StaticString)
            json.endArray()
            json.field("last", 1)
        }
        #expect(
            line == #"{"s":"x","i":42,"zero":0,"neg":-17,"big":18446744073709551615,"min8":-128,"t":true,"f":false,"#
                + #""ip":"fd00:224:1::34","lit":"static","digits":"8080","o":{"inner":{},"after":1},"empty":[],"#
                + #""a":["one","10.224.1.34","three"],"last":1}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any])
        _ = try StrictJSON.parse(line)
    }

    @Test(
        "Integers at the edges of their types",
        arguments: [
            (Int64.max, "9223372036854775807"), (Int64.min + 1, "-9223372036854775807"),
            (Int64.min, "-9223372036854775808"),
            (Int64(-1), "-1"), (Int64(0), "0"),
        ])
    func integerEdges(value: Int64, text: String) {
        #expect(Self.object { $0.field("n", value) } == "{\"n\":\(text)}")
    }

    @Test("The most negative values of every width are written, not a crash")
    func mostNegative() {
        #expect(Self.object { $0.field("n", Int64.min) } == #"{"n":-9223372036854775808}"#)
        #expect(Self.object { $0.field("n", Int.min) } == #"{"n":-9223372036854775808}"#)
        #expect(Self.object { $0.field("n", Int32.min) } == #"{"n":-2147483648}"#)
        #expect(Self.object { $0.field("n", Int16.min) } == #"{"n":-32768}"#)
    }

    @Test("ASCIIDigits writes digits, and zero-padded widths")
    func decimal() {
        func text(_ body: (inout [UInt8]) -> Void) -> String {
            var out: [UInt8] = []
            body(&out)
            return String(decoding: out, as: UTF8.self)
        }
        for value: UInt64 in [0, 9, 10, 99, 100, 65535, 4_294_967_295, 10_000_000_000, .max] {
            #expect(text { ASCIIDigits.append(value, to: &$0) } == String(value))
        }
        #expect(text { ASCIIDigits.append(7, width: 3, to: &$0) } == "007")
        #expect(text { ASCIIDigits.append(0, width: 9, to: &$0) } == "000000000")
        #expect(text { ASCIIDigits.append(123_456_789, width: 9, to: &$0) } == "123456789")
    }
}

@Suite("RFC 3339 times")
struct RFC3339Tests {
    static func string(_ nanoseconds: UInt64, _ digits: Int = 9) -> String {
        RFC3339.string(WallTime(nanoseconds: nanoseconds), fractionDigits: digits)
    }

    @Test("The epoch, in every precision")
    func epoch() {
        #expect(Self.string(0) == "1970-01-01T00:00:00.000000000Z")
        #expect(Self.string(0, 6) == "1970-01-01T00:00:00.000000Z")
        #expect(Self.string(0, 3) == "1970-01-01T00:00:00.000Z")
        #expect(Self.string(0, 0) == "1970-01-01T00:00:00Z")
        #expect(Self.string(1) == "1970-01-01T00:00:00.000000001Z")
    }

    @Test(
        "Leap days and the days after them",
        arguments: [
            (UInt64(68_169_600), "1972-02-29T00:00:00"),
            (951_782_400, "2000-02-29T00:00:00"),  // divisible by 400: leap
            (951_868_800, "2000-03-01T00:00:00"),
            (1_709_208_000, "2024-02-29T12:00:00"),
            (4_107_542_399, "2100-02-28T23:59:59"),  // divisible by 100, not 400: no leap day
            (4_107_542_400, "2100-03-01T00:00:00"),
            (13_574_563_200, "2400-02-29T00:00:00"),
            (946_684_799, "1999-12-31T23:59:59"),
            (946_684_800, "2000-01-01T00:00:00"),
            (1_795_739_438, "2026-11-27T00:30:38"),
            (2_147_483_648, "2038-01-19T03:14:08"),  // past 32-bit time_t
            (18_446_744_073, "2554-07-21T23:34:33"),  // the last second a UInt64 of nanoseconds reaches
        ])
    func calendar(seconds: UInt64, text: String) {
        #expect(Self.string(seconds * 1_000_000_000) == text + ".000000000Z")
        #expect(Self.string(seconds * 1_000_000_000, 6) == text + ".000000Z")
    }

    @Test("Fractions are truncated, never rounded into the next second")
    func truncation() {
        let almost: UInt64 = 946_684_799_999_999_999
        #expect(Self.string(almost) == "1999-12-31T23:59:59.999999999Z")
        #expect(Self.string(almost, 6) == "1999-12-31T23:59:59.999999Z")
        #expect(Self.string(1_795_739_438_758_684_999, 6) == "2026-11-27T00:30:38.758684Z")
        #expect(Self.string(UInt64.max) == "2554-07-21T23:34:33.709551615Z")
    }

    @Test("Agrees with gmtime_r on 100000 random instants up to 2554")
    func againstGmtime() {
        var state: UInt64 = 3339
        var mismatches: [String] = []
        for _ in 0..<100_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let nanoseconds = state
            let ours = Self.string(nanoseconds)
            let reference = JSONLineSchema.utcText(nanoseconds: nanoseconds)
            if ours != reference { mismatches.append("\(nanoseconds): \(ours) vs \(reference)") }
            if !JSONLineSchema.isRFC3339Nanoseconds(ours) { mismatches.append("\(ours) is not 9-digit RFC 3339") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
