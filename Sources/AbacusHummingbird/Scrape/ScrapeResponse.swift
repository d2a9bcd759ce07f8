public import Abacus
public import AbacusExposition
import CompressNIO
public import Hummingbird

/// The answer to one scrape, independent of any router: what ``MetricsResponder`` and
/// ``MetricsEndpoint`` send.
public enum ScrapeResponse {
    /// The exposition of `registry` in the format the request's `Accept` header asks for (text
    /// 0.0.4, OpenMetrics 1.0 or delimited protobuf, as `Negotiation.format(accept:)` picks it),
    /// gzipped when its `Accept-Encoding` allows it, with `Content-Type`, `Content-Encoding` and
    /// `Vary: Accept, Accept-Encoding`. A `HEAD` request gets the same headers and no body.
    ///
    /// Renders the whole registry: O(series), and the compression O(bytes) on top.
    public static func make(
        for request: Request, registry: Registry, extraLabels: [Label] = []
    ) -> Response {
        let format = Negotiation.format(accept: request.headers[.accept])
        var body = ByteBuffer(bytes: registry.exposition(format: format, extraLabels: extraLabels))
        var headers: HTTPFields = [.contentType: format.contentType]
        if Negotiation.acceptsGzip(request.headers[.acceptEncoding]),
            let compressed = try? body.compress(with: .gzip(configuration: .init(compressionLevel: 1)))
        {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        headers[.vary] = "Accept, Accept-Encoding"
        let response = Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        return request.method == .head ? response.createHeadResponse() : response
    }
}
