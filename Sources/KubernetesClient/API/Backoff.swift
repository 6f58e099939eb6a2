/// Backoff is the wait between failed attempts: 1 s doubling to 30 s, each
/// wait drawn at random from its upper half, so that the agents of a whole
/// cluster, failed by the same API server restart, do not come back in step.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private var current: Duration

    init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
        current = initial
    }

    /// The next wait, and the one after it doubled (up to `maximum`).
    mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> Duration {
        let ceiling = current
        current = min(current * 2, maximum)
        let fraction = Double.random(in: 0.5...1, using: &generator)
        return ceiling * fraction
    }

    mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// Back to the first wait, after a success.
    mutating func reset() { current = initial }
}
