/// Count reads `--count`: how many events (`events`) or samples (`stats`) to write before exiting.
enum Count {
    static func positive(_ text: String) throws -> Int {
        guard let value = DecimalText.integer(text[...]), value > 0 else {
            throw ArgumentValueError("expected a positive integer (1 or more), the number of events to write")
        }
        return value
    }

    static func samples(_ text: String) throws -> Int {
        guard let value = DecimalText.integer(text[...]), value > 0 else {
            throw ArgumentValueError("expected a positive integer (1 or more), the number of samples to write")
        }
        return value
    }
}
