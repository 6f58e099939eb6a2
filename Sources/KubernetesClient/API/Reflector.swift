import AsyncHTTPClient
import CTWatchCore
import FoundationEssentials
import NIOCore

/// Reflector keeps one resource of the API in step: it lists it, then
/// watches from the list's resourceVersion, and tells its owner every change.
///
/// - The list asks for `resourceVersion=0`, served from the API server's
///   cache; the body is decoded as it arrives, an item at a time.
/// - The watch asks for bookmarks and a `timeoutSeconds` drawn at random, so a
///   cluster's agents do not all re-watch at once.
/// - A watch that ends, or breaks off, is made again from the last
///   resourceVersion seen (an opaque string, never parsed); 410 Gone, as an
///   HTTP status or an ERROR event, means that version is too old: list again.
/// - Failures are told to the owner and retried after a backoff with jitter,
///   1 s doubling to 30 s; a success resets it.
struct Reflector<Object: ClusterResource>: Sendable {
    /// Update is what the owner hears.
    enum Update: Sendable {
        /// A list begins: what it brings (`listing`) replaces everything known
        /// of the resource once it is complete (`listed`).
        case listStarted
        /// The objects of a list decoded from the last bytes received, in order.
        case listing([Object])
        /// The list started last is complete.
        case listed
        case added(Object)
        case modified(Object)
        case deleted(Object)
        /// A request failed; the reflector retries after `retryIn`.
        case failed(APIError, retryIn: Duration)
        /// A list or a watch succeeded after a failure was told.
        case recovered
        /// A watch is made again (after one ended, broke off or failed, or after a relist).
        case watchRestarted
    }

    /// The resource's plural name, for messages (`pods`).
    let resource: String
    /// `/api/v1/pods`.
    let path: String
    /// Extra query parameters of both list and watch (`fieldSelector`).
    let selector: [(String, String)]
    /// The range `timeoutSeconds` is drawn from.
    var watchTimeouts: ClosedRange<Int> = 300...600
    /// How long past its `timeoutSeconds` a watch may last: a server that
    /// neither ends it nor sends anything by then is taken for gone.
    var watchGrace: Duration = .seconds(30)

    init(resource: String, path: String, selector: [(String, String)] = []) {
        self.resource = resource
        self.path = path
        self.selector = selector
    }

    /// Runs until the task is cancelled.
    func run(_ client: APIClient, deliver: @Sendable (Update) async -> Void) async {
        var resourceVersion: String?
        var backoff = Backoff()
        var failing = false
        var watched = false
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    await deliver(.listStarted)
                    let version = try await list(client) { await deliver(.listing($0)) }
                    await deliver(.listed)
                    // A list without a version (kubectl's own lists say ""): watch from now on.
                    resourceVersion = version ?? ""
                    if failing {
                        failing = false
                        await deliver(.recovered)
                    }
                    backoff.reset()
                }
                let began = ContinuousClock.now
                if watched { await deliver(.watchRestarted) }
                watched = true
                resourceVersion = try await watch(client, from: resourceVersion) {
                    // The server answered the watch: whatever failed before works again.
                    if failing {
                        failing = false
                        await deliver(.recovered)
                    }
                } deliver: { update in
                    await deliver(update)
                }
                // A watch the server ends at once, again and again, must not become a busy loop.
                await pace(since: began, &backoff)
            } catch let error {
                if Task.isCancelled { return }
                if error.isGone {
                    // Too old: list again; the list is the recovery.
                    resourceVersion = nil
                    await pace(since: .now, &backoff)
                    continue
                }
                let wait = backoff.next()
                failing = true
                await deliver(.failed(error, retryIn: wait))
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Waits before the next request when the last one did not last a second
    /// (the wait grows as failures do); a watch that lasted resets the backoff.
    private func pace(since began: ContinuousClock.Instant, _ backoff: inout Backoff) async {
        if ContinuousClock.now - began >= .seconds(1) {
            backoff.reset()
        } else {
            try? await Task.sleep(for: backoff.next())
        }
    }

    /// Lists the resource, handing its items on as they are decoded (never
    /// all of them at once); the list's resourceVersion.
    private func list(
        _ client: APIClient, items deliver: ([Object]) async -> Void
    ) async throws(APIError) -> String? {
        let body = try await client.get(verb: "list", path: path, query: [("resourceVersion", "0")] + selector)
        var decoder = ListStreamDecoder<Object>()
        do {
            for try await buffer in body {
                let items = try decoder.feed(buffer.readableBytesView)
                if !items.isEmpty { await deliver(items) }
            }
            return try decoder.finish().resourceVersion
        } catch let error as KubeStreamError {
            throw APIError(verb: "list", path: path, reason: .malformed(error.description))
        } catch {
            throw APIError(verb: "list", path: path, reason: .transport(APIClient.describe(error)))
        }
    }

    /// Watches from `resourceVersion` until the server ends the stream; the last
    /// resourceVersion seen. Throws on a broken stream and on an ERROR event.
    private func watch(
        _ client: APIClient, from resourceVersion: String?, answered: () async -> Void,
        deliver: (Update) async -> Void
    ) async throws(APIError) -> String? {
        let timeout = Int.random(in: watchTimeouts)
        var query = [("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(timeout))]
        if let resourceVersion, !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        let lifetime = Duration.seconds(timeout) + watchGrace
        let deadline = ContinuousClock.now + lifetime
        let body = try await client.get(verb: "watch", path: path, query: query + selector, headTimeout: lifetime)
        await answered()
        var last = resourceVersion
        var lines = WatchLineSplitter()
        let decoder = WatchEventDecoder<Object>()
        do {
            for try await buffer in Deadline(body, at: deadline) {
                for line in try lines.feed(buffer.readableBytesView) {
                    let event = try decoder.decode(line)
                    last = event.resourceVersion ?? last
                    switch event {
                    case .added(let object): await deliver(.added(object))
                    case .modified(let object): await deliver(.modified(object))
                    case .deleted(let object): await deliver(.deleted(object))
                    case .bookmark: break
                    case .error(let status):
                        throw APIError(
                            verb: "watch", path: path,
                            reason: .watchError(
                                code: status.isGone ? 410 : status.code ?? 500, reason: status.reason,
                                message: status.message))
                    }
                }
            }
        } catch let error as APIError {
            throw error
        } catch is Deadline<HTTPClientResponse.Body>.Passed {
            throw APIError(
                verb: "watch", path: path,
                reason: .transport("the server neither ended the watch after its \(timeout) s nor sent anything"))
        } catch let error as KubeStreamError {
            throw APIError(verb: "watch", path: path, reason: .malformed(error.description))
        } catch {
            throw APIError(verb: "watch", path: path, reason: .transport(APIClient.describe(error)))
        }
        return last
    }
}

/// Deadline is a byte stream that ends with `Passed` at a point in time:
/// the element being waited for is cancelled then (the request with it).
struct Deadline<Base: AsyncSequence & Sendable>: AsyncSequence where Base.Element: Sendable {
    struct Passed: Error {}

    let base: Base
    let deadline: ContinuousClock.Instant

    init(_ base: Base, at deadline: ContinuousClock.Instant) {
        self.base = base
        self.deadline = deadline
    }

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), deadline: deadline) }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let deadline: ContinuousClock.Instant

        mutating func next() async throws -> Base.Element? {
            let deadline = self.deadline
            let iterator = UnsafeTransfer(base)
            let result = try await withThrowingTaskGroup(of: Step.self) { group in
                group.addTask {
                    var base = iterator.value
                    let element = try await base.next()
                    return .element(element, UnsafeTransfer(base))
                }
                group.addTask {
                    try await Task.sleep(until: deadline)
                    return .passed
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            switch result {
            case .element(let element, let advanced):
                base = advanced.value
                return element
            case .passed:
                throw Passed()
            }
        }

        enum Step: Sendable {
            case element(Base.Element?, UnsafeTransfer<Base.AsyncIterator>)
            case passed
        }
    }
}

/// UnsafeTransfer carries an iterator into the one child task that uses it
/// and back: never used from two tasks at once.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
