/// RecentValues keeps values made from keys, for a caller that asks for the
/// same few keys again and again: the last key is compared first (runs of
/// one key are the common case, and comparing costs less than hashing), then
/// a table of at most `limit` keys, which starts over when full so that a
/// months-long run with ever new keys stays bounded.
struct RecentValues<Key: Hashable, Value> {
    private var table: [Key: Value] = [:]
    private var last: (key: Key, value: Value)?
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The value for `key`, made by `make` when it is not kept.
    mutating func value(for key: Key, make: (Key) -> Value) -> Value {
        if let last, last.key == key { return last.value }
        let value: Value
        if let kept = table[key] {
            value = kept
        } else {
            if table.count >= limit { table.removeAll(keepingCapacity: true) }
            value = make(key)
            table[key] = value
        }
        last = (key, value)
        return value
    }
}

extension RecentValues: Sendable where Key: Sendable, Value: Sendable {}
