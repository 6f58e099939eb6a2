import Logging
import ServiceLifecycle
import Synchronization

/// LongRunning runs a command that lasts until it is told to stop (`events`,
/// `stuck --watch`) as a service of a swift-service-lifecycle ServiceGroup.
///
/// SIGTERM (what Kubernetes sends, 30 s before SIGKILL) and SIGINT start a
/// graceful shutdown: the job's task is cancelled, so it stops receiving at
/// once, whatever is queued; the job then writes the complete lines it holds
/// and returns its result, and the process exits 0. A job that ends on its
/// own (a count, a duration, the reader gone) or fails ends the group too.
///
/// A `companion` (the metrics server) runs beside the job until the job ends
/// or a signal comes; if it fails, the job is cancelled and its error is the
/// command's.
enum LongRunning {
    static func run<Result: Sendable>(
        _ name: String, companion: (@Sendable () async throws -> Void)? = nil,
        _ job: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let service = JobService(name: name, job: job)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .cancelGroup, serviceName: name)
        ]
        if let companion {
            services.append(
                .init(
                    service: JobService(name: "\(name) metrics", job: companion),
                    successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .cancelGroup,
                    serviceName: "\(name) metrics"))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                // Diagnostics are the front end's own, on stderr: the group says nothing.
                logger: Logger(label: "ctwatch", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await group.run()
        guard let result = service.result.withLock({ $0 }) else {
            // The group returned without running the job to its end: only a
            // cancellation from outside does that.
            throw CancellationError()
        }
        return result
    }

    /// JobService is one job as a Service: cancelled on graceful shutdown, its result kept.
    private final class JobService<Result: Sendable>: Service, CustomStringConvertible {
        let description: String
        let job: @Sendable () async throws -> Result
        let result = Mutex<Result?>(nil)

        init(name: String, job: @escaping @Sendable () async throws -> Result) {
            description = name
            self.job = job
        }

        func run() async throws {
            let value = try await cancelWhenGracefulShutdown(job)
            result.withLock { $0 = value }
        }
    }
}
