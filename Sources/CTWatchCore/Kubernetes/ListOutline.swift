import Foundation

/// ListOutline is where the parts of a Kubernetes list document lie: the
/// top-level `kind` and the byte range of each entry of `items`. It reads
/// the bytes once and keeps only offsets, so a large list can be decoded an
/// entry at a time.
///
/// It checks only what it needs to find those offsets (brackets, strings,
/// the tokens between them); each entry is then decoded, and so checked, by
/// JSONDecoder. What it does not handle plainly (an escaped `kind`, a key
/// given twice, a top level that is not an object) makes it fail, and the
/// caller falls back to decoding the whole document.
struct ListOutline {
    private(set) var kind: String?
    /// Indices into the data the outline was read from.
    private(set) var itemRanges: [Range<Int>] = []

    init?(_ data: Data) {
        // A span reads the bytes without Data's per-access bookkeeping.
        guard var outline = Self.read(data.span) else { return nil }
        let base = data.startIndex
        outline.itemRanges = outline.itemRanges.map { ($0.lowerBound + base)..<($0.upperBound + base) }
        self = outline
    }

    private init() {}

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    private static func read(_ bytes: Span<UInt8>) -> ListOutline? {
        var outline = ListOutline()
        var index = 0
        guard skipSpace(bytes, &index) == UInt8(ascii: "{") else { return nil }
        index += 1
        if skipSpace(bytes, &index) == UInt8(ascii: "}") {
            index += 1
            return skipSpace(bytes, &index) == nil ? outline : nil
        }
        var seen = Set<String>()
        while true {
            guard let key = plainString(bytes, &index), seen.insert(key).inserted,
                skipSpace(bytes, &index) == UInt8(ascii: ":")
            else { return nil }
            index += 1
            switch key {
            case "kind":
                guard let kind = plainString(bytes, &index) else { return nil }
                outline.kind = kind
            case "items":
                guard let ranges = arrayElementRanges(bytes, &index) else { return nil }
                outline.itemRanges = ranges
            default:
                guard skipValue(bytes, &index) != nil else { return nil }
            }
            switch skipSpace(bytes, &index) {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                return skipSpace(bytes, &index) == nil ? outline : nil
            default:
                return nil
            }
        }
    }

    /// Moves past JSON white space; the next byte, nil at the end.
    private static func skipSpace(_ bytes: Span<UInt8>, _ index: inout Int) -> UInt8? {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            case let byte: return byte
            }
        }
        return nil
    }

    /// A string without escapes, or nil (an escaped key is left to the full decoder).
    private static func plainString(_ bytes: Span<UInt8>, _ index: inout Int) -> String? {
        guard skipSpace(bytes, &index) == quote else { return nil }
        var text: [UInt8] = []
        var end = index + 1
        while end < bytes.count {
            let byte = bytes[end]
            if byte == quote {
                index = end + 1
                return String(decoding: text, as: UTF8.self)
            }
            if byte == backslash || byte < 0x20 { return nil }
            text.append(byte)
            end += 1
        }
        return nil
    }

    /// The ranges of the entries of an array (`null` is no entries).
    private static func arrayElementRanges(_ bytes: Span<UInt8>, _ index: inout Int) -> [Range<Int>]? {
        switch skipSpace(bytes, &index) {
        case UInt8(ascii: "n"):
            return skipValue(bytes, &index) != nil ? [] : nil
        case UInt8(ascii: "["):
            index += 1
        default:
            return nil
        }
        var ranges: [Range<Int>] = []
        if skipSpace(bytes, &index) == UInt8(ascii: "]") {
            index += 1
            return ranges
        }
        while true {
            guard let range = skipValue(bytes, &index) else { return nil }
            ranges.append(range)
            switch skipSpace(bytes, &index) {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                return ranges
            default:
                return nil
            }
        }
    }

    /// Moves past one value and returns its range. Nesting is followed
    /// with a stack of closing brackets, not recursion, so no input can
    /// exhaust the thread's stack.
    private static func skipValue(_ bytes: Span<UInt8>, _ index: inout Int) -> Range<Int>? {
        guard skipSpace(bytes, &index) != nil else { return nil }
        let start = index
        var closers: [UInt8] = []
        repeat {
            guard let byte = skipSpace(bytes, &index) else { return nil }
            switch byte {
            case UInt8(ascii: "{"):
                closers.append(UInt8(ascii: "}"))
                index += 1
            case UInt8(ascii: "["):
                closers.append(UInt8(ascii: "]"))
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard closers.popLast() == byte else { return nil }
                index += 1
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                guard !closers.isEmpty else { return nil }
                index += 1
            case quote:
                guard skipString(bytes, &index) else { return nil }
            default:
                guard skipScalar(bytes, &index) else { return nil }
            }
        } while !closers.isEmpty
        return start..<index
    }

    private static func skipString(_ bytes: Span<UInt8>, _ index: inout Int) -> Bool {
        var position = index + 1
        while position < bytes.count {
            switch bytes[position] {
            case quote:
                index = position + 1
                return true
            case backslash:
                position += 2
            default:
                position += 1
            }
        }
        return false
    }

    /// `true`, `false`, `null` or a number.
    private static func skipScalar(_ bytes: Span<UInt8>, _ index: inout Int) -> Bool {
        let start = index
        scan: while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "E"):
                index += 1
            default:
                break scan
            }
        }
        return isScalar(bytes, start..<index)
    }

    private static func isScalar(_ bytes: Span<UInt8>, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return false }
        let first = bytes[range.lowerBound]
        if first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
            for offset in range {
                switch bytes[offset] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                    UInt8(ascii: "e"), UInt8(ascii: "E"):
                    continue
                default:
                    return false
                }
            }
            return true
        }
        for word in ["true", "false", "null"] where word.utf8.count == range.count {
            if zip(word.utf8, range).allSatisfy({ $0 == bytes[$1] }) { return true }
        }
        return false
    }
}
