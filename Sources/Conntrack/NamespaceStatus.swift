/// NamespaceStatus says whether the name a handle was opened with still
/// refers to the namespace the handle holds.
///
/// A handle opens its namespace once and keeps it for its life, so it keeps
/// reading that namespace even when its name is deleted or given to another
/// one; this tells the front end that it happened.
public enum NamespaceStatus: Sendable, Hashable {
    /// The handle works in the process's own namespace: there is no name to lose.
    case current
    /// The path still names the namespace held.
    case attached
    /// The path is gone (`ip netns del`, or the process of /proc/PID/ns/net ended):
    /// the handle still reads the namespace, which it keeps alive.
    case deleted
    /// The path now names another namespace (`ip netns del X; ip netns add X`):
    /// the handle still reads the old one.
    case replaced
}
