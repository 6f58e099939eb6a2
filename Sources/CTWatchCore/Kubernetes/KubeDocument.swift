import FoundationEssentials

/// KubeDocument reads what `kubectl get <resource> -o json` prints: a
/// `List` (kubectl's wrapper), the API's own `<Kind>List` (from
/// `kubectl get --raw`), or a single object. It only pulls out the fields
/// ctwatch needs; everything else is ignored, and missing fields are fine.
public enum KubeDocument {
    /// sizeLimit is the most a pods or services document may hold: 64 MiB.
    /// A cluster's full pod list is a few MB per thousand pods; a larger
    /// input is a mistake (`/dev/zero`, the wrong file) that would otherwise
    /// take the node's memory. The decoders here take bytes already read:
    /// whoever reads the file stops at this limit and reports
    /// `KubeDocumentError.Reason.tooLarge`.
    public static let sizeLimit = 64 << 20

    /// items decodes every object of `Item.kind` from a List, an
    /// `Item.listKind` or a single `Item`. In a List, objects of other kinds
    /// are skipped (kubectl can mix kinds: `kubectl get pods,svc -o json`),
    /// but a non-empty List with none of `Item.kind` is the wrong document.
    static func items<Item: KubeItem>(
        _ type: Item.Type, from data: Data, subject: String
    ) throws(KubeDocumentError) -> [Item] {
        func failure(_ reason: KubeDocumentError.Reason) -> KubeDocumentError {
            KubeDocumentError(subject: subject, path: nil, reason: reason)
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw failure(.empty)
        }
        // A List is decoded one item at a time, so memory stays near the
        // size of the document; anything else, and any error (whose
        // message must name the place in the whole document), takes the
        // one-pass decoder.
        let body: Body<Item>
        if let listed = decodeListItems(Item.self, from: data) {
            body = listed
        } else {
            do {
                body = try JSONDecoder().decode(Body<Item>.self, from: data)
            } catch let error as DecodingError {
                throw failure(reason(for: error, in: data))
            } catch {
                throw failure(.malformed(path: "(document)", detail: String(describing: error)))
            }
        }
        let expected = ["List", Item.listKind, Item.kind]
        switch body.kind {
        case Item.kind?:
            return body.items
        case "List"?, Item.listKind?:
            if body.items.isEmpty && !body.otherKinds.isEmpty {
                throw failure(.wrongItemKinds(found: Array(Set(body.otherKinds)).sorted(), expected: expected))
            }
            return body.items
        default:
            throw failure(.wrongKind(found: body.kind, expected: expected))
        }
    }

    /// The top level of a document: the object itself when it is an
    /// `Item`, else the `items` of a list. Which one is decided by `kind`,
    /// so a document is decoded in a single pass.
    private struct Body<Item: KubeItem>: Decodable {
        var kind: String?
        var items: [Item] = []
        /// Kinds of list entries that were skipped.
        var otherKinds: [String] = []

        init(kind: String?, items: [Item], otherKinds: [String]) {
            self.kind = kind
            self.items = items
            self.otherKinds = otherKinds
        }

        private enum Key: String, CodingKey { case kind, items }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            kind = try container.decodeIfPresent(String.self, forKey: .kind)
            if kind == Item.kind {
                items = [try Item(from: decoder)]
                return
            }
            guard kind == "List" || kind == Item.listKind,
                container.contains(.items), try !container.decodeNil(forKey: .items)
            else { return }
            var list = try container.nestedUnkeyedContainer(forKey: .items)
            while !list.isAtEnd {
                switch try list.decode(Entry<Item>.self) {
                case .item(let item): items.append(item)
                case .other(let kind): otherKinds.append(kind)
                }
            }
        }
    }

    /// decodeListItems reads a `List` or `Item.listKind` by finding where
    /// each entry of `items` lies and decoding the entries one by one; nil
    /// for any other document and for anything it cannot read.
    private static func decodeListItems<Item: KubeItem>(_ type: Item.Type, from data: Data) -> Body<Item>? {
        guard let outline = ListOutline(data), outline.kind == "List" || outline.kind == Item.listKind else {
            return nil
        }
        let decoder = JSONDecoder()
        var items: [Item] = []
        var otherKinds: [String] = []
        for range in outline.itemRanges {
            switch try? decoder.decode(Entry<Item>.self, from: data[range]) {
            case .item(let item)?: items.append(item)
            case .other(let kind)?: otherKinds.append(kind)
            case nil: return nil
            }
        }
        return Body(kind: outline.kind, items: items, otherKinds: otherKinds)
    }

    /// One entry of a list. Entries of an API `PodList` carry no `kind`
    /// (only kubectl's `List` fills it in), so a missing kind means `Item`.
    private enum Entry<Item: KubeItem>: Decodable {
        case item(Item)
        case other(String)

        private enum Key: String, CodingKey { case kind }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            if let kind = try container.decodeIfPresent(String.self, forKey: .kind), kind != Item.kind {
                self = .other(kind)
            } else {
                self = .item(try Item(from: decoder))
            }
        }
    }

    private static func reason(for error: DecodingError, in data: Data) -> KubeDocumentError.Reason {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .notJSON(detail: parserMessage(for: data), start: start(of: data))
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return .notAnObject
        // Our own wording: Foundation's debug descriptions change between releases.
        case .typeMismatch(let type, let context):
            return .malformed(path: render(context.codingPath), detail: "expected \(jsonName(of: type))")
        case .valueNotFound(let type, let context):
            return .malformed(path: render(context.codingPath), detail: "expected \(jsonName(of: type)), found null")
        case .keyNotFound(let key, let context):
            return .malformed(path: render(context.codingPath), detail: "missing \(key.stringValue.debugDescription)")
        case .dataCorrupted(let context):
            return .malformed(path: render(context.codingPath), detail: context.debugDescription)
        @unknown default:
            return .malformed(path: "(document)", detail: String(describing: error))
        }
    }

    /// JSONDecoder only says "not valid JSON"; ListScanner's grammar check
    /// tells what and where, which we give as a line and column.
    private static func parserMessage(for data: Data) -> String {
        let found = data.withUnsafeBytes { raw in ListScanner.syntaxError(in: raw.bindMemory(to: UInt8.self).span) }
        guard let found else { return "the parser gave no position" }
        var line = 1
        var column = 1
        for byte in data.prefix(found.offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return "\(found.message) at line \(line), column \(column)"
    }

    /// The first non-blank line, cut to 60 characters: enough to recognise
    /// `error: You must be logged in to the server` or YAML.
    private static func start(of data: Data) -> String {
        let text = String(decoding: data.prefix(512), as: UTF8.self)
        let line =
            text.split(whereSeparator: \.isNewline)
            .first { !$0.allSatisfy(\.isWhitespace) }
            .map { String($0.drop(while: \.isWhitespace)) } ?? ""
        return line.count > 60 ? String(line.prefix(60)) + "..." : line
    }

    /// How a Swift type expected by the decoder is spelled in JSON terms.
    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        case is any BinaryInteger.Type, is any BinaryFloatingPoint.Type: return "a number"
        default: return String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    /// `items[3].status.podIPs[0].ip` from a decoding path.
    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out.isEmpty ? "(document)" : out
    }
}

/// KubeItem is an object kind read out of a document (`PodObject`, `ServiceObject`, ...).
protocol KubeItem: Decodable {
    /// `Pod`, `Service`.
    static var kind: String { get }
    /// The API's list kind: `PodList`, `ServiceList`.
    static var listKind: String { get }
}
