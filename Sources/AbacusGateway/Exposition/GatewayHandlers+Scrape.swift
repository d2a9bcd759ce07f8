import AbacusExposition
import CompressNIO
import Foundation
import Hummingbird
import NIOCore

/// `GET /metrics` and the JSON API.
extension GatewayHandlers {
    func scrape(_ request: Request) -> Response {
        let (format, utf8Names) = Negotiation.negotiate(accept: request.headers[.accept])
        let snapshot = gateway.store.snapshot()
        let uncommitted = gateway.journal.map { $0.uncommitted + gateway.store.unflushedCount } ?? 0
        let own = gateway.metrics.families(
            groups: snapshot.groupCount, lines: snapshot.lineCount, aggregated: snapshot.aggregatedCount,
            uncommitted: uncommitted)
        let mayHoldUTF8Names = gateway.configuration.utf8Names || gateway.restoredUTF8Names
        var (body, written) = ScrapeRenderer.renderScrape(
            snapshot, own: own, format: format, extraLabels: gateway.configuration.extraLabels,
            utf8Names: utf8Names, mayHoldUTF8Names: mayHoldUTF8Names)
        var headers: HTTPFields = [
            .contentType: utf8Names && mayHoldUTF8Names
                ? written.contentType + "; escaping=allow-utf-8" : written.contentType
        ]
        if Negotiation.acceptsGzip(request.headers[.acceptEncoding]),
            let compressed = try? body.compress(with: .gzip(configuration: .init(compressionLevel: 1)))
        {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        headers[.vary] = "Accept, Accept-Encoding"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// `GET /api/v1/metrics`: every group with its families, the Pushgateway's JSON shape; then,
    /// when there are aggregated series (JSON ops, `/aggregate`), one more entry marked
    /// `"aggregated":true`, with empty `labels`, no push times, and as each family's
    /// `time_stamp` the last update of any of its series.
    func apiMetrics() -> Response {
        let snapshot = gateway.store.snapshot()
        var out: [UInt8] = Array(#"{"status":"success","data":["#.utf8)
        func families(of group: StoredGroup) -> [MetricFamily] {
            let exposition = group.exposition {
                (snapshot.families[Int($0)]!.name, snapshot.families[Int($0)]!.type, snapshot.families[Int($0)]!.help)
            }
            return (try? TextParser.parse(exposition, names: .utf8)) ?? []
        }
        for (index, group) in snapshot.groups.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            var pushed = families(of: group)
            pushed.append(timeFamily("push_time_seconds", group.pushTime, group))
            pushed.append(timeFamily("push_failure_time_seconds", group.failureTime, group))
            let stamp = rfc3339(group.pushTime)
            appendEntry(
                labels: group.key.labels, aggregated: false, successful: group.pushTime >= group.failureTime,
                families: pushed, stamp: { _ in stamp }, to: &out)
        }
        if let aggregate = snapshot.aggregate {
            if !snapshot.groups.isEmpty { out.append(UInt8(ascii: ",")) }
            let updated = gateway.store.aggregatedUpdateTimes()
            appendEntry(
                labels: [], aggregated: true, successful: true, families: families(of: aggregate),
                stamp: { rfc3339(Double(updated[$0] ?? 0) / 1000) }, to: &out)
        }
        out.append(contentsOf: "]}\n".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// One entry of `/api/v1/metrics`: `labels`, `last_push_successful` (and `aggregated` when
    /// true), then each family by name.
    func appendEntry(
        labels: [Label], aggregated: Bool, successful: Bool, families: [MetricFamily], stamp: (String) -> String,
        to out: inout [UInt8]
    ) {
        out.append(contentsOf: #"{"labels":{"#.utf8)
        for (position, label) in labels.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(label.name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONString.append(label.value, to: &out)
        }
        out.append(contentsOf: "},".utf8)
        if aggregated { out.append(contentsOf: #""aggregated":true,"#.utf8) }
        out.append(contentsOf: #""last_push_successful":\#(successful)"#.utf8)
        for family in families {
            out.append(UInt8(ascii: ","))
            JSONString.append(family.name, to: &out)
            out.append(contentsOf: #":{"time_stamp":"#.utf8)
            JSONString.append(stamp(family.name), to: &out)
            out.append(contentsOf: #","type":"#.utf8)
            JSONString.append(typeName(family.type), to: &out)
            if let help = family.help, !help.isEmpty {
                out.append(contentsOf: #","help":"#.utf8)
                JSONString.append(help, to: &out)
            }
            out.append(contentsOf: #","metrics":"#.utf8)
            out.append(contentsOf: JSONExpositionEncoder.metrics(of: family))
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `GET /api/v1/status`: flags, start time, build information, storage.
    func apiStatus() -> Response {
        var out: [UInt8] = Array(#"{"status":"success","data":{"flags":{"#.utf8)
        for (index, (name, value)) in gateway.configuration.flags.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONString.append(value, to: &out)
        }
        out.append(contentsOf: #"},"start_time":"#.utf8)
        JSONString.append(rfc3339(Double(gateway.startMs) / 1000), to: &out)
        out.append(contentsOf: #","build_information":{"#.utf8)
        for (index, (name, value)) in gateway.configuration.build.fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONString.append(value, to: &out)
        }
        out.append(contentsOf: #"},"storage":{"path":"#.utf8)
        JSONString.append(gateway.configuration.storagePath, to: &out)
        let counts = gateway.store.counts
        out.append(contentsOf: #","groups":\#(counts.groups),"series":\#(counts.lines)}}}"#.utf8)
        out.append(0x0A)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }

    func timeFamily(_ name: String, _ value: Double, _ group: StoredGroup) -> MetricFamily {
        MetricFamily(
            name: name, type: .gauge, help: ScrapeRenderer.timeHelp(name),
            metrics: [Metric(labels: PreparedPush.labels(for: group.key), value: .gauge(value))])
    }

    func typeName(_ type: MetricType) -> String {
        switch type {
        case .counter: "COUNTER"
        case .gauge: "GAUGE"
        case .histogram, .gaugeHistogram: "HISTOGRAM"
        case .summary: "SUMMARY"
        default: "UNTYPED"
        }
    }

    func rfc3339(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
