import ArgumentParser

/// MetricsOptions are the long-running commands' Prometheus endpoint.
struct MetricsOptions: ParsableArguments {
    @Option(
        name: .customLong("metrics-address"),
        help: ArgumentHelp(
            "Serve Prometheus metrics on /metrics, and /healthz and /readyz, at this address (:9153 for every address).",
            valueName: "host:port"),
        transform: MetricsAddress.parsed)
    var address: MetricsAddress?
}
