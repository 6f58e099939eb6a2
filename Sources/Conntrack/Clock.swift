import Glibc

/// WallTime is a point in wall-clock time, nanoseconds since the Unix epoch (UTC).
/// Event receive times and flow ages are WallTimes.
public struct WallTime: Hashable, Sendable, Comparable {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    /// The current CLOCK_REALTIME.
    public static func now() -> WallTime { WallTime(nanoseconds: Syscalls.clockNanoseconds(CLOCK_REALTIME)) }
    public static func < (a: WallTime, b: WallTime) -> Bool { a.nanoseconds < b.nanoseconds }
}

/// MonotonicClock is the one clock for intervals (batch lingering, resync
/// periods, durations): CLOCK_MONOTONIC, which wall-clock steps do not move.
public enum MonotonicClock {
    public static func nanoseconds() -> UInt64 { Syscalls.clockNanoseconds(CLOCK_MONOTONIC) }
    public static func seconds() -> Double { Double(nanoseconds()) / 1e9 }
}

/// ProcessCPUClock is the CPU time the whole process has used, user and
/// system, all threads (CLOCK_PROCESS_CPUTIME_ID): `process_cpu_seconds_total`.
public enum ProcessCPUClock {
    public static func seconds() -> Double { Double(Syscalls.clockNanoseconds(CLOCK_PROCESS_CPUTIME_ID)) / 1e9 }
}
