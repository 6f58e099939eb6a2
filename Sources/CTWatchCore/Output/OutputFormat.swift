/// OutputFormat is what a command writes: text for people, JSON lines for log shippers.
public enum OutputFormat: Sendable {
    case text, json
}
