/// Gate lets at most `limit` tasks through at once; the others wait their turn,
/// in order. Test beds and API emulators are started through one: thirty of
/// them coming up at once on two busy cores take minutes each, one at a time
/// they take seconds.
public actor Gate {
    private let limit: Int
    private var inside = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) {
        self.limit = limit
    }

    private func enter() async {
        if inside < limit {
            inside += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty {
            inside -= 1
        } else {
            // The place passes straight to the next in line.
            waiting.removeFirst().resume()
        }
    }

    /// Runs `body` once let through, and lets the next one through after it.
    public nonisolated func through<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }
}
