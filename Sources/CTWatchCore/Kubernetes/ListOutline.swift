import FoundationEssentials

/// ListOutline is where the parts of a Kubernetes list document lie: the
/// top-level `kind` and the byte range of each entry of `items`. It reads
/// the bytes once, with `ListScanner`, and keeps only offsets, so a large
/// list can be decoded an entry at a time.
///
/// What the scanner does not handle plainly (an escaped `kind`, a key given
/// twice, a top level that is not an object), and anything that is not
/// valid JSON, makes it fail, and the caller falls back to decoding the
/// whole document (whose errors name the place).
struct ListOutline {
    private(set) var kind: String?
    /// Indices into the data the outline was read from.
    private(set) var itemRanges: [Range<Int>] = []

    init?(_ data: Data) {
        var scanner = ListScanner()
        var events: [ListScanner.Event] = []
        do throws(ListScanner.Failure) {
            // A span reads the bytes without Data's per-access bookkeeping.
            try scanner.scan(data.span, into: &events)
            try scanner.finish()
        } catch {
            return nil
        }
        let base = data.startIndex
        var start: Int?
        for event in events {
            switch event {
            case .kind(let kind): self.kind = kind
            case .resourceVersion: break
            case .itemStart(let offset): start = offset
            case .itemEnd(let end):
                guard let first = start else { return nil }
                itemRanges.append((first + base)..<(end + base))
                start = nil
            }
        }
    }
}
