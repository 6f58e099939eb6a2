import Conntrack

/// StuckFinding is one stuck (or cleared) flow with what ctwatch knows of it.
public struct StuckFinding: Sendable {
    public var flow: Flow
    /// When the flow began (kernel start time) or was first seen.
    public var since: WallTime
    /// Nanoseconds unreplied so far.
    public var age: UInt64
    /// Whether the age comes from the kernel's start timestamp (false: from ctwatch's first sight).
    public var ageFromKernel: Bool
    public var subnet: CIDR
    /// Whether the original destination is one of the node's own addresses:
    /// a NodePort called from a pod rather than a ClusterIP.
    public var nodePort: Bool
    public var attribution: Attribution
    public var diagnosis: Diagnosis
    /// Set on a `dnat-unreplied-cleared` finding.
    public var cleared: StuckTracker.ClearReason?

    public init(
        flow: Flow, since: WallTime, age: UInt64, ageFromKernel: Bool, subnet: CIDR, nodePort: Bool = false,
        attribution: Attribution, diagnosis: Diagnosis, cleared: StuckTracker.ClearReason? = nil
    ) {
        self.flow = flow
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
