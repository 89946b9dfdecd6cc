import CoreMetrics
import Prometheus

enum MetricsSetup {
    /// Installs Prometheus as the swift-metrics backend and returns its registry, which
    /// `/metrics` renders.
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Decisions take microseconds; the default buckets start at milliseconds.
        factory.durationHistogramBuckets["sipfence_decision_duration_seconds"] = [
            .microseconds(5), .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(25),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
