import FoundationEssentials

/// ListStreamDecoder reads a `<Kind>List` response body as it arrives, in
/// chunks of any size, and decodes each entry of `items` as soon as its
/// last byte has come. Bytes are dropped once used, so what it holds is at
/// most one entry and one chunk, never the whole body: a `resourceVersion=0`
/// list (served whole from the API server's cache, `limit` ignored) of 10k
/// Services costs no more than its largest Service.
///
/// The list's `metadata.resourceVersion` may come before or after `items`;
/// `finish()` gives it once the body is complete. Not safe to share between
/// tasks while feeding; a value, so it may be sent to the task that feeds it.
public struct ListStreamDecoder<Item: Decodable>: Sendable {
    /// The longest entry accepted.
    public let maximumItemSize: Int
    private var scanner = ListScanner()
    /// Bytes from `bufferBase` on that may still be needed.
    private var buffer: [UInt8] = []
    private var bufferBase = 0
    /// Where the entry being read started.
    private var pendingStart: Int?
    private var itemCount = 0
    /// The list's `kind`, once read.
    public private(set) var kind: String?
    /// The list's `metadata.resourceVersion`, once read.
    public private(set) var resourceVersion: String?

    public init(maximumItemSize: Int = KubeDocument.sizeLimit) {
        self.maximumItemSize = maximumItemSize
    }

    /// feed reads the next bytes of the body and returns the entries they completed, in order.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(KubeStreamError) -> [Item] {
        let chunk = Array(bytes)
        buffer.append(contentsOf: chunk)
        var events: [ListScanner.Event] = []
        do throws(ListScanner.Failure) {
            try scanner.scan(chunk.span, into: &events)
        } catch {
            throw KubeStreamError(.malformed(offset: error.offset, detail: error.message))
        }
        var items: [Item] = []
        let decoder = JSONDecoder()
        for event in events {
            switch event {
            case .kind(let kind): self.kind = kind
            case .resourceVersion(let version): resourceVersion = version
            case .itemStart(let offset): pendingStart = offset
            case .itemEnd(let end):
                guard let first = pendingStart else { continue }
                pendingStart = nil
                let data = Data(buffer[(first - bufferBase)..<(end - bufferBase)])
                do {
                    items.append(try decoder.decode(Item.self, from: data))
                } catch {
                    let (path, detail) = KubeStreamError.explain(error)
                    throw KubeStreamError(.undecodableItem(index: itemCount, path: path, detail: detail))
                }
                itemCount += 1
            }
        }
        // Keep only the entry still being read.
        let keepFrom = pendingStart ?? scanner.consumed
        buffer.removeFirst(keepFrom - bufferBase)
        bufferBase = keepFrom
        if buffer.count > maximumItemSize { throw KubeStreamError(.itemTooLarge(limit: maximumItemSize)) }
        return items
    }

    /// finish checks the body ended with the list complete and returns its
    /// `metadata.resourceVersion` and `kind`.
    public func finish() throws(KubeStreamError) -> (resourceVersion: String?, kind: String?) {
        do throws(ListScanner.Failure) {
            try scanner.finish()
        } catch {
            throw KubeStreamError(.truncated(offset: error.offset))
        }
        return (resourceVersion, kind)
    }
}
