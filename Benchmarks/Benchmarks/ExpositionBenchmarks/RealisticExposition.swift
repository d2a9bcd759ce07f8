import AbacusExposition

/// A deterministic exposition shaped like a busy Pushgateway's `/metrics`: many groups (job,
/// instance), each with labelled counters and gauges, a few histograms, and the per-group
/// `push_time_seconds`. About 1 MB of text.
enum RealisticExposition {
    static func families(groups: Int = 400, buckets: Int = 12, labelValueSuffix: String = "") -> [MetricFamily] {
        let bounds = (0..<(buckets - 1)).map { 0.005 * pow2($0) } + [Double.infinity]
        var requests: [Metric] = []
        var inflight: [Metric] = []
        var bytes: [Metric] = []
        var durations: [Metric] = []
        var pushTimes: [Metric] = []
        var lastSuccess: [Metric] = []
        for g in 0..<groups {
            let group = [
                Label("instance", "worker-\(g % 50).batch.internal:9100"), Label("job", "batch_job_\(g / 50)"),
            ]
            for (c, code) in ["200", "404", "500"].enumerated() {
                for (m, method) in ["get", "post"].enumerated() {
                    let labels = [Label("code", code + labelValueSuffix)] + group + [Label("method", method)]
                    requests.append(
                        Metric(labels: labels, value: .counter(CounterValue(Double(g * 1000 + c * 17 + m)))))
                }
            }
            inflight.append(Metric(labels: group, value: .gauge(Double(g % 7))))
            bytes.append(
                Metric(
                    labels: group + [Label("queue", "mail" + labelValueSuffix)],
                    value: .gauge(1_234_567.5 + Double(g))))
            var cumulative = 0.0
            let histogramBuckets = bounds.enumerated().map { (i, bound) -> Bucket in
                cumulative += Double((g + i) % 9)
                return Bucket(upperBound: bound, cumulativeCount: cumulative)
            }
            durations.append(
                Metric(
                    labels: group + [Label("handler", "/api/v1/push")],
                    value: .histogram(
                        HistogramValue(
                            buckets: histogramBuckets, count: cumulative, sum: cumulative * 0.0731))))
            pushTimes.append(Metric(labels: group, value: .gauge(1.7005e9 + Double(g) * 0.123)))
            lastSuccess.append(Metric(labels: group, value: .gauge(1.7004e9 + Double(g))))
        }
        return [
            MetricFamily(name: "http_requests_total", type: .counter, help: "Requests handled.", metrics: requests),
            MetricFamily(name: "inflight_requests", type: .gauge, help: "Requests in flight.", metrics: inflight),
            MetricFamily(name: "queue_bytes", type: .gauge, help: "Bytes queued.", metrics: bytes),
            MetricFamily(
                name: "request_duration_seconds", type: .histogram, help: "Request latency.", metrics: durations),
            MetricFamily(
                name: "push_time_seconds", type: .gauge,
                help: "Last Unix time when this group was changed in the Pushgateway.", metrics: pushTimes),
            MetricFamily(
                name: "job_last_success_unixtime", type: .gauge, help: "Last time the job succeeded.",
                metrics: lastSuccess),
        ]
    }

    static func pow2(_ n: Int) -> Double {
        var x = 1.0
        for _ in 0..<n { x *= 2 }
        return x
    }
}
