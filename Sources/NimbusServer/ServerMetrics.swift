import Foundation
import Prometheus

/// What `/metrics` shows: requests by route, method and status, their latency, and runs by product and state.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    private static var inFlight: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "nimbus", metricName: "runs_in_flight", unitName: "",
            helpText: "Runs the server is executing now")
    }
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "nimbus", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests by route, method and status")
    }
    private static var latency: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "nimbus", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "HTTP request latency by route")
    }
    private static var runs: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "nimbus", metricName: "runs", unitName: "total",
            helpText: "Runs ended or paused, by product and state")
    }

    init() {
        // Present from the start, so a scrape before any run shows the series.
        _ = registry.makeGauge(descriptor: Self.inFlight)
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    func run(product: String, state: String) {
        registry.makeCounter(descriptor: Self.runs, labels: [("product", product), ("state", state)]).increment()
    }

    func inFlight(_ delta: Int) {
        let gauge = registry.makeGauge(descriptor: Self.inFlight)
        if delta > 0 { gauge.increment(by: Double(delta)) } else { gauge.decrement(by: Double(-delta)) }
    }

    func text() -> String { registry.emitToString() }
}
