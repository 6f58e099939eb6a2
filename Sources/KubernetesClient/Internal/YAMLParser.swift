import CYAML

/// YAMLNode is one node of a YAML document as libyaml reads it: a scalar with
/// its text, a sequence, or a mapping with its entries in file order. Aliases
/// are resolved to the node their anchor names; tags other than `!!null` are
/// not interpreted.
enum YAMLNode: Equatable {
    /// A scalar's text; `plain` when it was written without quotes or block
    /// style, the only kind a schema resolves (`null`, `true`, ...).
    case scalar(String, plain: Bool)
    /// An explicit `!!null`, or a plain `~`, `null` or nothing.
    case null
    case sequence([YAMLNode])
    case mapping([(key: YAMLNode, value: YAMLNode)])

    static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a, let p), .scalar(let b, let q)): a == b && p == q
        case (.null, .null): true
        case (.sequence(let a), .sequence(let b)): a == b
        case (.mapping(let a), .mapping(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }
}

/// YAMLSyntaxError is where and why libyaml stopped reading.
struct YAMLSyntaxError: Error, Equatable {
    /// 1-based, as editors count.
    var line: Int
    var column: Int
    var problem: String

    var description: String { "line \(line), column \(column): \(problem)" }
}

/// YAMLParser reads the first document of a YAML stream with libyaml's event
/// parser: the one place this module calls libyaml.
enum YAMLParser {
    /// The most nodes a document may expand to through its aliases: a
    /// kubeconfig has hundreds, and a document of nested aliases ("billion
    /// laughs") would otherwise grow without bound when written out.
    static let nodeLimit = 1 << 20

    /// Parses `bytes` to the first document's root node; nil for a stream with
    /// no document (empty, or only comments).
    static func parse(_ bytes: [UInt8]) throws(YAMLSyntaxError) -> YAMLNode? {
        // libyaml asserts a non-null input, which an empty array need not have.
        guard !bytes.isEmpty else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLSyntaxError(line: 1, column: 1, problem: "the YAML parser could not start (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLSyntaxError) -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError(parser) }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                switch event.type {
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let text = string(scalar.value, length: scalar.length)
                    let tag = scalar.tag.map { String(cString: $0) }
                    let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == nil
                    let node: YAMLNode =
                        tag == "tag:yaml.org,2002:null" || (plain && ["", "~", "null", "Null", "NULL"].contains(text))
                        ? .null : .scalar(text, plain: plain)
                    try builder.add(node, anchor: scalar.anchor.map { String(cString: $0) }, at: mark)
                case YAML_ALIAS_EVENT:
                    try builder.alias(String(cString: event.data.alias.anchor), at: mark)
                case YAML_SEQUENCE_START_EVENT:
                    builder.open(mapping: false, anchor: event.data.sequence_start.anchor.map { String(cString: $0) })
                case YAML_MAPPING_START_EVENT:
                    builder.open(mapping: true, anchor: event.data.mapping_start.anchor.map { String(cString: $0) })
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    try builder.close(at: mark)
                case YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT:
                    return builder.root
                default:
                    continue
                }
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private static func syntaxError(_ parser: yaml_parser_t) -> YAMLSyntaxError {
        let problem = parser.problem.map { String(cString: $0) } ?? "not YAML"
        let context = parser.context.map { " " + String(cString: $0) } ?? ""
        return YAMLSyntaxError(
            line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1,
            problem: problem + context)
    }

    /// TreeBuilder assembles nodes from events: open collections on a stack,
    /// anchored nodes by name.
    private struct TreeBuilder {
        private struct Open {
            var mapping: Bool
            var anchor: String?
            var items: [YAMLNode] = []
        }
        private var stack: [Open] = []
        private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
        private var sizes: [Int] = []
        private var expanded = 0
        private(set) var root: YAMLNode?

        mutating func open(mapping: Bool, anchor: String?) {
            stack.append(Open(mapping: mapping, anchor: anchor))
            sizes.append(1)
        }

        mutating func close(at mark: yaml_mark_t) throws(YAMLSyntaxError) {
            let open = stack.removeLast()
            let size = sizes.removeLast()
            let node: YAMLNode
            if open.mapping {
                var entries: [(key: YAMLNode, value: YAMLNode)] = []
                entries.reserveCapacity(open.items.count / 2)
                var index = 0
                while index + 1 < open.items.count {
                    entries.append((open.items[index], open.items[index + 1]))
                    index += 2
                }
                node = .mapping(entries)
            } else {
                node = .sequence(open.items)
            }
            try place(node, size: size, counted: 1, anchor: open.anchor, at: mark)
        }

        mutating func add(_ node: YAMLNode, anchor: String?, at mark: yaml_mark_t) throws(YAMLSyntaxError) {
            try place(node, size: 1, counted: 1, anchor: anchor, at: mark)
        }

        mutating func alias(_ name: String, at mark: yaml_mark_t) throws(YAMLSyntaxError) {
            guard let anchored = anchors[name] else {
                throw YAMLSyntaxError(
                    line: mark.line + 1, column: mark.column + 1,
                    problem: "the alias *\(name) names no anchor before it")
            }
            try place(anchored.node, size: anchored.size, counted: anchored.size, anchor: nil, at: mark)
        }

        /// Puts `node` (of `size` nodes in all) in its parent, counting
        /// `counted` new nodes: one for a node read, its size for an alias.
        private mutating func place(
            _ node: YAMLNode, size: Int, counted: Int, anchor: String?, at mark: yaml_mark_t
        ) throws(YAMLSyntaxError) {
            expanded += counted
            guard expanded <= YAMLParser.nodeLimit else {
                throw YAMLSyntaxError(
                    line: mark.line + 1, column: mark.column + 1,
                    problem: "more than \(YAMLParser.nodeLimit) nodes once its aliases are expanded")
            }
            if let anchor { anchors[anchor] = (node, size) }
            if stack.isEmpty {
                if root == nil { root = node }
            } else {
                stack[stack.count - 1].items.append(node)
                sizes[sizes.count - 1] += size
            }
        }
    }
}
