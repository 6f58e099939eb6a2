import Foundation
import TestSupport

/// WatchOutput reads what a `--json` run of ctwatch wrote: whether it ends
/// with a whole line, which lines do not parse, and the stuck findings.
struct WatchOutput {
    let text: String

    init(_ text: String) { self.text = text }

    /// Whether nothing was left half written: empty, or ending in a newline.
    var endsWithCompleteLine: Bool { text.isEmpty || text.hasSuffix("\n") }

    /// The parsed lines, in order.
    var objects: [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Lines that are not a JSON object, with their number.
    var unparsedLines: [String] {
        text.split(separator: "\n").enumerated().compactMap { index, line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) == nil
                ? "line \(index + 1): \(line.prefix(200))" : nil
        }
    }

    /// `event.action` of each line.
    var actions: [String] { objects.map { (($0["event"] as? [String: Any])?["action"] as? String) ?? "" } }

    /// The `network.community_id` of each `dnat-unreplied` finding, in order, repeats kept.
    var stuckFlows: [String] {
        objects.compactMap { object in
            guard ((object["event"] as? [String: Any])?["action"] as? String) == "dnat-unreplied" else { return nil }
            return ((object["network"] as? [String: Any])?["community_id"] as? String) ?? ""
        }
    }
}
