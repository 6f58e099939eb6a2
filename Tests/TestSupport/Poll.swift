import Foundation

/// Poll waits for a condition instead of for a fixed time.
public enum Poll {
    /// Checks `condition` every 50 ms until it holds; false after `timeout` seconds.
    public static func until(timeout: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}

extension Poll {
    /// Runs `attempt` every 200 ms until it returns a value; nil after `timeout` seconds.
    public static func value<T>(timeout: Double, _ attempt: () async throws -> T?) async throws -> T? {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if let value = try await attempt() { return value }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return try await attempt()
    }
}

extension Poll {
    /// Checks the async `condition` every 200 ms until it holds; false after `timeout` seconds.
    public static func eventually(timeout: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
        try await value(timeout: timeout) { try await condition() ? true : nil } ?? false
    }
}
