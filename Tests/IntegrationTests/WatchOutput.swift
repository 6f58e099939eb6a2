import Foundation
import TestSupport

/// WatchOutput reads what a `--json` run of ctwatch wrote: whether it ends
/// with a whole line, the problems of its bytes, and the stuck findings.
struct WatchOutput {
    let bytes: [UInt8]
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Output still being written, for conditions (the text collected so far).
    init(_ text: String) { bytes = Array(text.utf8) }

    /// Everything a finished run wrote, byte for byte.
    init(_ result: ProcessResult) { bytes = result.stdoutBytes }

    /// Every problem of the output as written: framing, UTF-8, strict JSON, the header fields.
    var problems: [String] { JSONLineSchema.checkOutput(bytes).problems }

    /// Whether nothing was left half written: empty, or ending in a newline.
    var endsWithCompleteLine: Bool { text.isEmpty || text.hasSuffix("\n") }

    /// The parsed lines, in order.
    var objects: [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
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
