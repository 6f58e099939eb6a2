import AsyncHTTPClient
import CTWatchCore
import Foundation
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
        /// A list replaced everything known of the resource.
        case listed([Object])
        case added(Object)
        case modified(Object)
        case deleted(Object)
        /// A request failed; the reflector retries after `retryIn`.
        case failed(APIError, retryIn: Duration)
        /// A list or a watch succeeded after a failure was told.
        case recovered
    }

    /// The resource's plural name, for messages (`pods`).
    let resource: String
    /// `/api/v1/pods`.
    let path: String
    /// Extra query parameters of both list and watch (`fieldSelector`).
    let selector: [(String, String)]
    /// The range `timeoutSeconds` is drawn from.
    var watchTimeouts: ClosedRange<Int> = 300...600

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
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    let (items, version) = try await list(client)
                    await deliver(.listed(items))
                    resourceVersion = version
                    if failing {
                        failing = false
                        await deliver(.recovered)
                    }
                    backoff.reset()
                }
                resourceVersion = try await watch(client, from: resourceVersion) { update in
                    if failing {
                        failing = false
                        await deliver(.recovered)
                    }
                    backoff.reset()
                    await deliver(update)
                }
            } catch let error {
                if Task.isCancelled { return }
                if error.isGone {
                    // Too old: list again at once; the list is the recovery.
                    resourceVersion = nil
                    continue
                }
                let wait = backoff.next()
                failing = true
                await deliver(.failed(error, retryIn: wait))
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Lists the resource; its items and the list's resourceVersion.
    private func list(_ client: APIClient) async throws(APIError) -> ([Object], String?) {
        let body = try await client.get(verb: "list", path: path, query: [("resourceVersion", "0")] + selector)
        var decoder = ListStreamDecoder<Object>()
        var items: [Object] = []
        do {
            for try await buffer in body {
                items += try decoder.feed(buffer.readableBytesView)
            }
            return (items, try decoder.finish().resourceVersion)
        } catch let error as KubeStreamError {
            throw APIError(verb: "list", path: path, reason: .malformed(error.description))
        } catch {
            throw APIError(verb: "list", path: path, reason: .transport(APIClient.describe(error)))
        }
    }

    /// Watches from `resourceVersion` until the server ends the stream; the last
    /// resourceVersion seen. Throws on a broken stream and on an ERROR event.
    private func watch(
        _ client: APIClient, from resourceVersion: String?, deliver: (Update) async -> Void
    ) async throws(APIError) -> String? {
        var query = [
            ("watch", "true"), ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", String(Int.random(in: watchTimeouts))),
        ]
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        let body = try await client.get(verb: "watch", path: path, query: query + selector)
        var last = resourceVersion
        var lines = WatchLineSplitter()
        let decoder = WatchEventDecoder<Object>()
        do {
            for try await buffer in body {
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
        } catch let error as KubeStreamError {
            throw APIError(verb: "watch", path: path, reason: .malformed(error.description))
        } catch {
            throw APIError(verb: "watch", path: path, reason: .transport(APIClient.describe(error)))
        }
        return last
    }
}
