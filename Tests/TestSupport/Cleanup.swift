/// Cleanup is `defer` for cleanups that must await: Swift allows no `await` in a
/// `defer` body, and a cleanup that blocks instead holds one of the Swift
/// concurrency pool's threads (two on a two-core machine) while other tests wait.
public enum Cleanup {
    /// Runs `body`, then `cleanup` whether `body` returned or threw; `body`'s result or error.
    public static func after<T>(
        _ body: () async throws -> T, cleanup: () async -> Void
    ) async throws -> T {
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        await cleanup()
        return try result.get()
    }
}
