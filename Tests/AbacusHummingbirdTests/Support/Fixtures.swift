import Abacus
import AbacusExposition
import Hummingbird

/// A registry with one family of each common kind and values known to the byte.
enum Fixtures {
    static func registry() throws -> Registry {
        let registry = Registry(processMetrics: false)
        try registry.counter("jobs_processed_total", help: "Jobs processed.").increment(by: 3)
        let queues = try registry.gauge("queue_length", help: "Items waiting.", labelNames: ["queue"])
        try queues.labels("mail").set(7)
        try queues.labels("sms").set(-1.5)
        let durations = try registry.histogram("job_duration_seconds", help: "Job durations.", buckets: [0.1, 1])
        for value in [0.25, 0.5, 2] { durations.observe(value) }
        return registry
    }

    /// ``registry()`` in the text format 0.0.4, written by hand.
    static let text = """
        # HELP job_duration_seconds Job durations.
        # TYPE job_duration_seconds histogram
        job_duration_seconds_bucket{le="0.1"} 0
        job_duration_seconds_bucket{le="1"} 2
        job_duration_seconds_bucket{le="+Inf"} 3
        job_duration_seconds_sum 2.75
        job_duration_seconds_count 3
        # HELP jobs_processed_total Jobs processed.
        # TYPE jobs_processed_total counter
        jobs_processed_total 3
        # HELP queue_length Items waiting.
        # TYPE queue_length gauge
        queue_length{queue="mail"} 7
        queue_length{queue="sms"} -1.5

        """

    /// ``registry()`` in OpenMetrics 1.0, written by hand: `le` in canonical form (`1.0`), the
    /// family of a counter named without `_total`.
    static let openMetrics = """
        # HELP job_duration_seconds Job durations.
        # TYPE job_duration_seconds histogram
        job_duration_seconds_bucket{le="0.1"} 0
        job_duration_seconds_bucket{le="1.0"} 2
        job_duration_seconds_bucket{le="+Inf"} 3
        job_duration_seconds_count 3
        job_duration_seconds_sum 2.75
        # HELP jobs_processed Jobs processed.
        # TYPE jobs_processed counter
        jobs_processed_total 3
        # HELP queue_length Items waiting.
        # TYPE queue_length gauge
        queue_length{queue="mail"} 7
        queue_length{queue="sms"} -1.5
        # EOF

        """

    /// The `Accept` header Prometheus 2.42 sends when scraping.
    static let prometheusAccept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

    /// The `Accept` header of a protobuf scrape (Prometheus with native histograms).
    static let protobufAccept =
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
        + "text/plain;version=0.0.4;q=0.3"

    /// The lines of `family` (its samples: lines starting with its name) in a text exposition.
    static func samples(_ family: String, in exposition: [UInt8]) -> String {
        let lines = String(decoding: exposition, as: UTF8.self).split(separator: "\n")
        return lines.filter { $0.hasPrefix(family + "{") || $0.hasPrefix(family + " ") }.joined(separator: "\n")
    }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}
