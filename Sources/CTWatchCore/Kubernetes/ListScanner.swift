import Conntrack

/// ListScanner finds the parts of a Kubernetes list document as its bytes
/// arrive, in pieces of any size: the top-level `kind`, `metadata.resourceVersion`
/// and where each entry of `items` starts and ends. It keeps no bytes beyond
/// the few it reports (`kind`, the resourceVersion, top-level keys), so a
/// caller that drops the bytes it has been told about holds at most one entry.
///
/// It checks the JSON grammar (brackets, commas, colons, strings, the
/// literals and numbers) but decodes nothing; the entries are decoded, and
/// their contents checked again, by JSONDecoder. What it does not handle
/// plainly (an escaped top-level key or `kind`, a key given twice at the top
/// level, a top level that is not an object) is `unsupported`, so
/// `ListOutline` can leave such a document to the one-pass decoder.
struct ListScanner {
    /// Event is something found, with offsets counted from the first byte fed.
    enum Event: Equatable {
        case kind(String)
        case resourceVersion(String)
        /// An entry of `items` starts at this offset.
        case itemStart(Int)
        /// The entry that started last ends before this offset.
        case itemEnd(Int)
    }

    /// Failure says where the bytes stopped being a list this scanner reads.
    struct Failure: Error, Equatable {
        /// The offset of the offending byte (the total length for a truncated document).
        let offset: Int
        let message: String
        /// True for valid JSON the scanner does not handle (see the type's documentation).
        let unsupported: Bool
    }

    /// What an open object or array is to the list.
    private enum Role: UInt8 {
        case top, items, metadata, other
    }

    /// What the grammar allows next inside an open object or array.
    private enum Expect: UInt8 {
        case keyOrEnd, key, colon, value, valueOrEnd, commaOrEnd
    }

    private struct Frame {
        let isObject: Bool
        let role: Role
        var expect: Expect
    }

    /// What a string being read is for.
    private enum StringUse {
        case key, ignoredKey, kind, resourceVersion, ignored
    }

    private var frames: [Frame] = []
    private var started = false
    private var finished = false
    /// The key whose value comes next, for the top level and `metadata`.
    private var currentKey: String?
    private var topKeys: Set<String> = []
    private var inString = false
    private var escaped = false
    private var stringUse = StringUse.ignored
    private var stringHadEscape = false
    private var captured: [UInt8] = []
    private var inScalar = false
    private var scalar: [UInt8] = []
    /// Bytes seen so far: the offset of the next byte fed.
    private(set) var consumed = 0

    /// The longest string kept (`kind`, a resourceVersion, a top-level key).
    private static let captureLimit = 1024
    /// The longest literal or number: JSON has no limit, Kubernetes objects need far less.
    private static let scalarLimit = 1024
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// Whether only the grammar is checked: any value may be the document,
    /// and nothing in it is reported.
    private let grammarOnly: Bool

    init() { grammarOnly = false }

    private init(grammarOnly: Bool) { self.grammarOnly = grammarOnly }

    /// The first place `bytes` stop being JSON, as a Failure with its offset;
    /// nil for valid JSON. Named for messages: JSONDecoder says only that the
    /// data was not valid JSON.
    static func syntaxError(in bytes: Span<UInt8>) -> Failure? {
        var scanner = ListScanner(grammarOnly: true)
        var events: [Event] = []
        do throws(Failure) {
            try scanner.scan(bytes, into: &events)
            try scanner.finish()
            return nil
        } catch {
            return error
        }
    }

    /// scan reads the next bytes and appends what it finds to `events`.
    mutating func scan(_ bytes: Span<UInt8>, into events: inout [Event]) throws(Failure) {
        let base = consumed
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let offset = base + index
            index += 1
            if inString {
                try stringByte(byte, offset: offset, events: &events)
                continue
            }
            if inScalar {
                if Self.isScalarByte(byte) {
                    guard scalar.count < Self.scalarLimit else { throw failure(offset, "a literal or number too long") }
                    scalar.append(byte)
                    continue
                }
                inScalar = false
                guard Self.isScalar(scalar) else {
                    throw failure(
                        offset - scalar.count,
                        "an invalid value \(DiagnosticText.quoted(String(decoding: scalar, as: UTF8.self)))")
                }
                scalar.removeAll(keepingCapacity: true)
                try valueEnded(at: offset, events: &events)
            }
            try structuralByte(byte, offset: offset, events: &events)
        }
        consumed = base + bytes.count
    }

    /// finish checks that the document ended where it should.
    func finish() throws(Failure) {
        guard finished, !inScalar, !inString else {
            throw failure(consumed, started ? "the document ends early" : "no JSON object")
        }
    }

    private func failure(_ offset: Int, _ message: String, unsupported: Bool = false) -> Failure {
        Failure(offset: offset, message: message, unsupported: unsupported)
    }

    private mutating func stringByte(_ byte: UInt8, offset: Int, events: inout [Event]) throws(Failure) {
        if escaped {
            escaped = false
            return
        }
        switch byte {
        case Self.backslash:
            escaped = true
            stringHadEscape = true
        case Self.quote:
            inString = false
            try stringEnded(at: offset, events: &events)
        case 0..<0x20:
            throw failure(offset, "a control character inside a string")
        default:
            if stringUse != .ignored && stringUse != .ignoredKey {
                guard captured.count < Self.captureLimit else { throw failure(offset, "a key or value too long") }
                captured.append(byte)
            }
        }
    }

    private mutating func stringEnded(at offset: Int, events: inout [Event]) throws(Failure) {
        let use = stringUse
        stringUse = .ignored
        let text = String(decoding: captured, as: UTF8.self)
        captured.removeAll(keepingCapacity: true)
        switch use {
        case .key:
            let frame = frames.count - 1
            frames[frame].expect = .colon
            if frames[frame].role == .top {
                guard !stringHadEscape else { throw failure(offset, "an escaped top-level key", unsupported: true) }
                guard topKeys.insert(text).inserted else {
                    throw failure(offset, "the top-level key \(text) given twice", unsupported: true)
                }
            }
            currentKey = stringHadEscape ? nil : text
            return
        case .ignoredKey:
            frames[frames.count - 1].expect = .colon
            return
        case .kind:
            guard !stringHadEscape else { throw failure(offset, "an escaped kind", unsupported: true) }
            events.append(.kind(text))
        case .resourceVersion:
            guard !stringHadEscape else { throw failure(offset, "an escaped resourceVersion", unsupported: true) }
            events.append(.resourceVersion(text))
        case .ignored:
            break
        }
        try valueEnded(at: offset + 1, events: &events)
    }

    private mutating func structuralByte(_ byte: UInt8, offset: Int, events: inout [Event]) throws(Failure) {
        switch byte {
        case 0x20, 0x0A, 0x0D, 0x09:
            return
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = byte == UInt8(ascii: "{")
            let role = try valueStarting(at: offset, container: isObject ? .object : .array, events: &events)
            frames.append(Frame(isObject: isObject, role: role, expect: isObject ? .keyOrEnd : .valueOrEnd))
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            let isObject = byte == UInt8(ascii: "}")
            guard let frame = frames.last, frame.isObject == isObject,
                frame.expect == .commaOrEnd || frame.expect == (isObject ? .keyOrEnd : .valueOrEnd)
            else { throw failure(offset, "an unexpected \(isObject ? "}" : "]")") }
            frames.removeLast()
            if frame.role == .metadata || frame.role == .items { currentKey = nil }
            try valueEnded(at: offset + 1, events: &events)
        case UInt8(ascii: ","):
            guard let frame = frames.last, frame.expect == .commaOrEnd else {
                throw failure(offset, "an unexpected comma")
            }
            frames[frames.count - 1].expect = frame.isObject ? .key : .value
        case UInt8(ascii: ":"):
            guard let frame = frames.last, frame.expect == .colon else { throw failure(offset, "an unexpected colon") }
            frames[frames.count - 1].expect = .value
        case Self.quote:
            inString = true
            stringHadEscape = false
            if let frame = frames.last, frame.expect == .key || frame.expect == .keyOrEnd {
                let role = frame.role
                stringUse = role == .top || role == .metadata ? .key : .ignoredKey
                return
            }
            _ = try valueStarting(at: offset, container: .string, events: &events)
        default:
            guard Self.isScalarByte(byte) else { throw failure(offset, "an unexpected character") }
            _ = try valueStarting(at: offset, container: .scalar, events: &events)
            inScalar = true
            scalar.append(byte)
        }
    }

    private enum ValueShape { case object, array, string, scalar }

    /// Checks a value may start here and says what it is to the list.
    private mutating func valueStarting(
        at offset: Int, container: ValueShape, events: inout [Event]
    ) throws(Failure) -> Role {
        guard let frame = frames.last else {
            guard !started else { throw failure(offset, "more after the end of the document") }
            if grammarOnly {
                started = true
                return .other
            }
            guard container == .object else {
                throw failure(offset, "the document is not a JSON object", unsupported: true)
            }
            started = true
            return .top
        }
        guard frame.expect == .value || frame.expect == .valueOrEnd else {
            throw failure(offset, "an unexpected value")
        }
        frames[frames.count - 1].expect = .commaOrEnd
        switch (frame.role, currentKey) {
        case (.top, "items"):
            if container == .array { return .items }
            guard container == .scalar else { throw failure(offset, "items is not an array", unsupported: true) }
        case (.top, "metadata"):
            if container == .object { return .metadata }
        case (.top, "kind"):
            guard container == .string else { throw failure(offset, "kind is not a string", unsupported: true) }
            stringUse = .kind
        case (.metadata, "resourceVersion"):
            if container == .string { stringUse = .resourceVersion }
        case (.items, _):
            events.append(.itemStart(offset))
        default:
            break
        }
        return .other
    }

    /// A value just ended before `end`.
    private mutating func valueEnded(at end: Int, events: inout [Event]) throws(Failure) {
        guard let frame = frames.last else {
            finished = true
            return
        }
        if frame.role == .items { events.append(.itemEnd(end)) }
    }

    private static func isScalarByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "E"):
            true
        default:
            false
        }
    }

    /// `true`, `false`, `null` or something shaped like a number (JSONDecoder checks numbers it reads).
    private static func isScalar(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
            return bytes.allSatisfy {
                switch $0 {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                    UInt8(ascii: "e"), UInt8(ascii: "E"):
                    true
                default:
                    false
                }
            }
        }
        return bytes.elementsEqual("true".utf8) || bytes.elementsEqual("false".utf8) || bytes.elementsEqual("null".utf8)
    }
}
