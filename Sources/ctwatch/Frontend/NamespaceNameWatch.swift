import Conntrack

/// NamespaceNameWatch says once on stderr when the name a long-running
/// command was given (`--netns X`) stops naming the namespace it reads. The
/// handle holds its namespace open, so it goes on reading that one (and keeps
/// it alive): right for a watch, but a user who deleted or re-created X must
/// be told that the output is not about the new X.
struct NamespaceNameWatch {
    let conntrack: Conntrack
    /// One stat(2) a second at most.
    private var nextCheck = 0.0
    private var told = false

    init(_ conntrack: Conntrack) { self.conntrack = conntrack }

    mutating func check(now: Double) {
        guard !told, now >= nextCheck else { return }
        nextCheck = now + 1
        let what: String
        switch conntrack.namespaceStatus() {
        case .current, .attached: return
        case .deleted: what = "was deleted"
        case .replaced: what = "now names another namespace"
        }
        told = true
        Diagnostics.line(
            "warning: \(conntrack.namespace) \(what); ctwatch goes on reading the one it opened: "
                + "start ctwatch again to read the namespace that name has now")
    }
}
