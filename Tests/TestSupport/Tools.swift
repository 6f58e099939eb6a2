import Foundation
import Testing

/// Tools tells whether the programs a test runs (promtool, kubernetes-validate,
/// rsyslogd) are installed, by looking them up as `Subprocess` would start them.
public enum Tools {
    /// The names among `tools` that are found neither in PATH nor in the sbin directories.
    public static func missing(_ tools: [String]) -> [String] {
        tools.filter { (try? Subprocess.resolve($0)) == nil }
    }

    /// Call first in a test that runs `tools`: throws a clear error when one is missing
    /// (which only happens in CI, where the test runs anyway and so fails).
    public static func require(_ tools: String...) throws {
        let absent = missing(tools)
        if !absent.isEmpty { throw Missing(tools: absent) }
    }

    public struct Missing: Error, CustomStringConvertible {
        public var tools: [String]
        public var description: String {
            "\(tools.joined(separator: ", ")) not installed (run Scripts/install-deps)"
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Tests that run these programs run when they are installed, and always in CI
    /// (where a missing one then fails the test with `Tools.require`): never a
    /// silent skip in CI. Elsewhere without them they are disabled with this reason.
    public static func tools(_ names: String...) -> Self {
        .enabled(
            if: Privilege.inCI || Tools.missing(names).isEmpty,
            "needs \(names.joined(separator: ", ")): run Scripts/install-deps")
    }
}
