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
    private(set) var itemRanges: [Range<Int>] = []

    init?(_ data: Data) {
        guard let outline = Self.read(data) else { return nil }
        self = outline
    }

    private init() {}

    private static func read(_ bytes: Data) -> ListOutline? {
        var outline = ListOutline()
        var reader = Reader(bytes: bytes, index: bytes.startIndex)
        guard reader.skipSpace() == UInt8(ascii: "{") else { return nil }
        reader.index += 1
        var seen = Set<String>()
        if reader.skipSpace() == UInt8(ascii: "}") {
            reader.index += 1
        } else {
            while true {
                guard let key = reader.plainString(), seen.insert(key).inserted,
                      reader.skipSpace() == UInt8(ascii: ":")
                else { return nil }
                reader.index += 1
                switch key {
                case "kind":
                    reader.skipSpace()
                    guard let kind = reader.plainString() else { return nil }
                    outline.kind = kind
                case "items":
                    guard let ranges = reader.arrayElementRanges() else { return nil }
                    outline.itemRanges = ranges
                default:
                    guard reader.skipValue() != nil else { return nil }
                }
                switch reader.skipSpace() {
                case UInt8(ascii: ","): reader.index += 1
                case UInt8(ascii: "}"): reader.index += 1
                    return reader.skipSpace() == nil ? outline : nil
                default: return nil
                }
            }
        }
        return reader.skipSpace() == nil ? outline : nil
    }

    private struct Reader {
        let bytes: Data
        var index: Int

        /// Moves past JSON white space; the next byte, nil at the end.
        @discardableResult
        mutating func skipSpace() -> UInt8? {
            while index < bytes.endIndex {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                case let byte: return byte
                }
            }
            return nil
        }

        /// A string without escapes, or nil (an escaped key is left to the full decoder).
        mutating func plainString() -> String? {
            guard skipSpace() == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            var end = start
            while end < bytes.endIndex {
                switch bytes[end] {
                case UInt8(ascii: "\""):
                    index = end + 1
                    return String(decoding: bytes[start..<end], as: UTF8.self)
                case UInt8(ascii: "\\"), 0x00..<0x20: return nil
                default: end += 1
                }
            }
            return nil
        }

        /// The ranges of the entries of an array (`null` is no entries).
        mutating func arrayElementRanges() -> [Range<Int>]? {
            switch skipSpace() {
            case UInt8(ascii: "n"):
                return skipValue() != nil ? [] : nil
            case UInt8(ascii: "["):
                index += 1
            default:
                return nil
            }
            var ranges: [Range<Int>] = []
            if skipSpace() == UInt8(ascii: "]") {
                index += 1
                return ranges
            }
            while true {
                guard let range = skipValue() else { return nil }
                ranges.append(range)
                switch skipSpace() {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"): index += 1
                    return ranges
                default: return nil
                }
            }
        }

        /// Moves past one value and returns its range. Nesting is followed
        /// with a stack of closing brackets, not recursion, so no input can
        /// exhaust the thread's stack.
        mutating func skipValue() -> Range<Int>? {
            guard skipSpace() != nil else { return nil }
            let start = index
            var closers: [UInt8] = []
            repeat {
                guard let byte = skipSpace() else { return nil }
                switch byte {
                case UInt8(ascii: "{"): closers.append(UInt8(ascii: "}")); index += 1
                case UInt8(ascii: "["): closers.append(UInt8(ascii: "]")); index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard closers.popLast() == byte else { return nil }
                    index += 1
                case UInt8(ascii: ","), UInt8(ascii: ":"):
                    guard !closers.isEmpty else { return nil }
                    index += 1
                case UInt8(ascii: "\""):
                    guard skipString() else { return nil }
                default:
                    guard skipScalar() else { return nil }
                }
            } while !closers.isEmpty
            return start..<index
        }

        private mutating func skipString() -> Bool {
            var position = index + 1
            while position < bytes.endIndex {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    index = position + 1
                    return true
                case UInt8(ascii: "\\"): position += 2
                default: position += 1
                }
            }
            return false
        }

        /// `true`, `false`, `null` or a number.
        private mutating func skipScalar() -> Bool {
            let start = index
            while index < bytes.endIndex {
                switch bytes[index] {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "E"):
                    index += 1
                default:
                    return isScalar(start..<index)
                }
            }
            return isScalar(start..<index)
        }

        private func isScalar(_ range: Range<Int>) -> Bool {
            guard !range.isEmpty else { return false }
            let first = bytes[range.lowerBound]
            if first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
                return range.allSatisfy { offset in
                    let byte = bytes[offset]
                    return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                        || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                        || byte == UInt8(ascii: "E")
                }
            }
            return ["true", "false", "null"].contains { word in
                word.utf8.elementsEqual(bytes[range])
            }
        }
    }
}
