import Conntrack
import Foundation
import Testing

/// Privilege tells whether this process may use ctnetlink (CAP_NET_ADMIN), by
/// trying it: it opens a `Conntrack()` handle, which makes one read-only
/// statistics request, and looks for EPERM. The user id is not consulted.
public enum Privilege {
    /// The outcome of the probe, made once per process.
    public static let probe: Result<Void, any Error> = Result { _ = try Conntrack() }

    /// Whether ctnetlink answered: privileged tests can run.
    public static var available: Bool {
        if case .success = probe { return true }
        return false
    }

    /// Whether the probe failed for lack of privilege (EPERM/EACCES), as opposed to another reason.
    public static var permissionDenied: Bool {
        if case .failure(let error) = probe, let error = error as? ConntrackError { return error.isPermissionDenied }
        return false
    }

    /// Why privileged tests cannot run here, or nil when they can.
    public static var unavailableReason: String? {
        switch probe {
        case .success: nil
        case .failure(let error): "cannot open a ctnetlink handle: \(error)"
        }
    }

    /// Whether we run in CI (`CI` set to anything but empty, `0` or `false`).
    /// There a missing privilege makes the privileged tests fail, never skip.
    public static var inCI: Bool {
        guard let value = ProcessInfo.processInfo.environment["CI"] else { return false }
        return !["", "0", "false", "no"].contains(value.lowercased())
    }

    /// Whether privileged tests should run: when privileged, and always in CI.
    public static var shouldRunPrivilegedTests: Bool { available || inCI }

    /// Call first in a privileged test: throws a clear error when the privilege
    /// is missing (which only happens in CI, where the test runs anyway and so fails).
    public static func require() throws {
        if let reason = unavailableReason { throw PrivilegeMissing(reason: reason) }
    }

    public struct PrivilegeMissing: Error, CustomStringConvertible {
        public var reason: String
        public var description: String {
            "privileged test without CAP_NET_ADMIN (CI is set, so it runs and fails; run as root): \(reason)"
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Privileged tests run when the process has CAP_NET_ADMIN, and always in
    /// CI (where they then fail): never a silent skip in CI. Elsewhere without
    /// the privilege they are disabled with this reason.
    public static var privileged: Self {
        .enabled(if: Privilege.shouldRunPrivilegedTests, "needs CAP_NET_ADMIN (run as root)")
    }
}
