import Conntrack

/// StuckFinding is one stuck (or cleared) flow with what ctwatch knows of it.
public struct StuckFinding: Sendable {
    public var flow: Flow
    /// Unreplied (`dnat-unreplied`) or DNAT'ed to a gone backend (`dnat-stale-backend`).
    public var kind: StuckTracker.Kind
    /// When the flow began (kernel start time) or was first seen.
    public var since: WallTime
    /// Nanoseconds unreplied so far.
    public var age: UInt64
    /// Whether the age comes from the kernel's start timestamp (false: from ctwatch's first sight).
    public var ageFromKernel: Bool
    /// The bridge subnet of the backend (and, for an unreplied flow, of its client).
    public var subnet: CIDR
    /// Whether the original destination is one of the node's own addresses:
    /// a NodePort called from a pod rather than a ClusterIP.
    public var nodePort: Bool
    public var attribution: Attribution
    public var diagnosis: Diagnosis
    /// Set on a `-cleared` finding.
    public var cleared: StuckTracker.ClearReason?

    public init(
        flow: Flow, kind: StuckTracker.Kind = .unreplied, since: WallTime, age: UInt64, ageFromKernel: Bool,
        subnet: CIDR, nodePort: Bool = false,
        attribution: Attribution, diagnosis: Diagnosis, cleared: StuckTracker.ClearReason? = nil
    ) {
        self.flow = flow
        self.kind = kind
        self.since = since
        self.age = age
        self.ageFromKernel = ageFromKernel
        self.subnet = subnet
        self.nodePort = nodePort
        self.attribution = attribution
        self.diagnosis = diagnosis
        self.cleared = cleared
    }
}
