import AbacusTesting
import Foundation
import Testing

@testable import AbacusExposition

/// The real Pushgateway 1.5.1 reads grouping-key paths the way ``GroupingKey`` does: every path
/// we accept lands in the group with exactly our labels, and the paths it refuses at the URL
/// stage we refuse too. (Where it is laxer — a repeated label, or a trailing `/` for an empty
/// value — we refuse with a message pointing to `@base64/=`.) A label with an empty value is
/// one the Pushgateway keeps and we drop (Prometheus reads it as no label): compared as such.
@Suite("Interop: grouping keys read like the Pushgateway reads them")
struct GroupingKeyInteropTests {
    static let accepted = [
        "job/backup",
        "job/backup/instance/db1",
        "job/directory_cleaner/path@base64/L3Zhci90bXA=",
        "job/cleaner2/path@base64/L3Zhci90bXA",
        "job@base64/ZGlyZWN0b3J5X2NsZWFuZXI/path@base64/L3Zhci90bXAvMg",
        "job/example/first_label@base64/=",
        "job/my+job/label@base64/dmFsdWUgd2l0aCBzcGFjZXM=",
        "job/a%26b/x/caf%C3%A9",
        "job/z/b/2/a/1",
    ]

    static let refused = [
        "job/a/instance", "job@base64/=", "job/a/1x/v", "job/a/__x/v", "job/a/x@base64/a+b=", "job/a/x@base64/A",
    ]

    @Test func pushgatewayAgrees() async throws {
        guard let pushgateway = Peers.require(.pushgateway) else { return }
        let arguments = ["--web.listen-address=127.0.0.1:$PORT", "--persistence.file=$DIR/pushgateway.data"]
        try await withServer(pushgateway, name: "pushgateway", arguments: arguments, readyPath: "/-/ready") { server in
            for (index, path) in Self.accepted.enumerated() {
                let response = try await HTTP.request(
                    "PUT", server.baseURL + "/metrics/" + path, body: Array("grouping_probe \(index)\n".utf8))
                #expect(response.status == 200, "\(path): \(response.text)")
            }
            for path in Self.refused {
                let response = try await HTTP.request(
                    "PUT", server.baseURL + "/metrics/" + path, body: Array("grouping_probe 99\n".utf8))
                #expect(response.status == 400, "the Pushgateway took \(path)")
                #expect(throws: GroupingKeyError.self) { try GroupingKey.parse(path: path) }
            }
            let scrape = try await HTTP.request("GET", server.baseURL + "/metrics")
            let families = try TextParser.parse(scrape.body)
            let probes = try #require(families.first { $0.name == "grouping_probe" })
            #expect(probes.metrics.count == Self.accepted.count)
            for metric in probes.metrics {
                guard case .untyped(let value) = metric.value else { continue }
                let path = Self.accepted[Int(value)]
                let key = try GroupingKey.parse(path: path)
                var expected = key.pushedLabels
                if !expected.contains(where: { $0.name == "instance" }) { expected.append(Label("instance", "")) }
                #expect(metric.labels.sorted() == expected.sorted(), "\(path)")
            }
        }
    }
}
