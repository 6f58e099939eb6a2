/// ConntrackStatsText reads what `conntrack -S` prints, one line per CPU:
/// `cpu=0   \tfound=0 invalid=0 insert=2 insert_failed=0 ...`, the independent
/// truth the statistics are checked against.
public enum ConntrackStatsText {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// CPU number to counter name (as conntrack prints it) to value.
    public static func parse(_ text: String) throws -> [Int: [String: UInt64]] {
        var cpus: [Int: [String: UInt64]] = [:]
        for line in text.split(separator: "\n") {
            var fields: [String: UInt64] = [:]
            for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let pair = word.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let value = UInt64(pair[1]) else {
                    throw Failure(description: "not name=number: \(word) in \(line)")
                }
                fields[String(pair[0])] = value
            }
            guard let cpu = fields.removeValue(forKey: "cpu") else {
                throw Failure(description: "no cpu= in \(line)")
            }
            cpus[Int(cpu)] = fields
        }
        return cpus
    }
}
