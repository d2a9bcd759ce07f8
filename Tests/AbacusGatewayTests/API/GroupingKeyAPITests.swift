import Foundation
import Testing

/// Grouping keys as URL paths, through the HTTP server (the raw path reaches the parser: no
/// decoding or normalisation on the way).
@Suite("HTTP API: grouping keys in the path")
struct GroupingKeyAPITests {
    /// Pushes `m 1` to `path` and returns the label set the scrape shows for it.
    static func labels(pushingTo path: String, _ api: GatewayAPI) async throws -> [String] {
        let response = try await api.put(path, "m 1\n")
        #expect(response.status == 200, "\(path): \(response)")
        return try await api.scrape().groups
    }

    @Test(arguments: [
        // job@base64: "backup"
        ("/metrics/job@base64/YmFja3Vw", #"instance="",job="backup""#),
        // padded and unpadded: "/var/tmp"
        ("/metrics/job/a/path@base64/L3Zhci90bXA=", #"instance="",job="a",path="/var/tmp""#),
        ("/metrics/job/a/path@base64/L3Zhci90bXA", #"instance="",job="a",path="/var/tmp""#),
        // the empty value: no label
        ("/metrics/job/a/first@base64/=", #"instance="",job="a""#),
        ("/metrics/job/a/instance@base64/=", #"instance="",job="a""#),
        // instance given in base64: no instance="" added
        ("/metrics/job/a/instance@base64/aG9zdDo5MA==", #"instance="host:90",job="a""#),
        // %20 is a space, + stays +, %2F stays inside its value
        ("/metrics/job/my%20job/x/a+b/y/c%2Fd", #"instance="",job="my job",x="a+b",y="c/d""#),
        ("/metrics/job/caf%C3%A9/instance/h%3A1", #"instance="h:1",job="café""#),
    ])
    func encodings(path: String, labels: String) async throws {
        try await withGateway { api async throws in
            #expect(try await Self.labels(pushingTo: path, api) == [labels])
            let scrape = try await api.scrape()
            #expect(scrape.value("m{\(labels)}") == 1)
        }
    }

    @Test func theOrderOfLabelsInThePathAndTheEncodingDoNotMatter() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a/x/1/y/2", "m 1\n").status == 200)
            #expect(try await api.put("/metrics/job@base64/YQ/y/2/x@base64/MQ", "m 2\n").status == 200)
            let scrape = try await api.scrape()
            #expect(scrape.groups == [#"instance="",job="a",x="1",y="2""#])
            #expect(scrape.value(#"m{instance="",job="a",x="1",y="2"}"#) == 2)
            #expect(try await api.delete("/metrics/job/a/y@base64/Mg==/x/1").status == 202)
            #expect(try await api.scrape().groups == [])
        }
    }

    @Test(arguments: [
        ("/metrics/job/a/instance", "label instance has no value"),
        ("/metrics/job/a/x/1/y", "label y has no value"),
        ("/metrics/job/a/", "the grouping key ends with /; write an empty label value as <LABEL>@base64/="),
        ("/metrics/job/a/instance/", "label instance has an empty value; write it as instance@base64/="),
        ("/metrics/job/", "label job has an empty value; write it as job@base64/="),
        ("/metrics/job//x/1", "label job has an empty value; write it as job@base64/="),
        ("/metrics/job@base64/=", "the job name must not be empty"),
        ("/metrics/job", "the grouping key must start with job/<JOB NAME>"),
        ("/metrics/instance/x", "the grouping key must start with job/<JOB NAME>, not instance"),
        ("/metrics/job/a/x/1/x/2", "label x appears twice in the grouping key"),
        ("/metrics/job/a/job/b", "label job appears twice in the grouping key"),
        ("/metrics/job/a/1x/v", #""1x" is not a valid label name (UTF-8 names are not enabled)"#),
        ("/metrics/job/a/x-y/v", #""x-y" is not a valid label name (UTF-8 names are not enabled)"#),
        ("/metrics/job/a/__name__/v", "label name __name__ is reserved (names starting with __ are for Prometheus)"),
        ("/metrics/job/a/x@base64/a+b=", "the value of x@base64 is not URL-safe base64"),
        ("/metrics/job/a/x@base64/A", "the value of x@base64 is not URL-safe base64"),
        ("/metrics/job/a/x@base64/_w", "the value of x@base64 is not UTF-8 text"),
        ("/metrics/job/a/x/%zz", "bad percent-encoding in the value of label x"),
    ])
    func refusedPaths(path: String, message: String) async throws {
        try await withGateway { api async throws in
            for method in ["PUT", "POST", "DELETE"] {
                let response = try await api.push(method, path, "m 1\n")
                #expect(response.status == 400, "\(method) \(path)")
                #expect(response.text == "invalid grouping key: \(message)\n", "\(method) \(path)")
            }
            let scrape = try await api.scrape()
            #expect(scrape.pushed == "")
            #expect(scrape.value(#"abacus_push_rejections_total{reason="grouping_key"}"#) == 3)
        }
    }
}
