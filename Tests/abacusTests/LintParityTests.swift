import AbacusTesting
import Foundation
import Testing

/// `abacus check`'s style findings are promtool's (Prometheus 2.42's `promtool check
/// metrics`), rule for rule: the same set of `metric finding` pairs on the real `/metrics` of
/// Debian's node_exporter and Prometheus, and on an exposition that breaks every rule.
@Suite("abacus check: the same lint findings as promtool 2.42")
struct LintParityTests {
    /// promtool's findings (`metric text` per line), as a set.
    static func promtool(_ promtool: URL, _ exposition: [UInt8]) async throws -> Set<String> {
        let run = try await ProcessRunner.run(promtool, ["check", "metrics"], stdin: exposition)
        // 0: clean; 3: lint findings only. Anything else: it could not read the input.
        #expect(run.status == 0 || run.status == 3, "promtool: \(run.stderrText)")
        return Set((run.stdoutText + run.stderrText).split(separator: "\n").map(String.init))
    }

    /// Ours, `line N: metric: text` made `metric text`, as a set.
    static func ours(_ exposition: [UInt8]) async throws -> Set<String> {
        let executable = try #require(AbacusExecutable.url, "abacus executable not found beside the tests")
        let run = try await ProcessRunner.run(executable, ["check", "-"], stdin: exposition)
        #expect(run.status == 0 || run.status == 1, "abacus check: \(run.stderrText)")
        return Set(
            run.stdoutText.split(separator: "\n").map { line in
                var text = line
                if text.hasPrefix("line "), let colon = text.firstIndex(of: ":") {
                    text = text[text.index(colon, offsetBy: 2)...]
                }
                guard let separator = text.range(of: ": ") else { return String(text) }
                return text[..<separator.lowerBound] + " " + text[separator.upperBound...]
            })
    }

    static func expectSame(_ exposition: [UInt8], _ promtool: URL, _ what: String) async throws -> Int {
        let theirs = try await Self.promtool(promtool, exposition)
        let mine = try await Self.ours(exposition)
        #expect(
            mine == theirs,
            """
            \(what): only promtool: \(theirs.subtracting(mine).sorted())
            only abacus: \(mine.subtracting(theirs).sorted())
            """)
        return theirs.count
    }

    @Test("every rule, each broken once")
    func everyRule() async throws {
        guard let promtool = Peers.require(.promtool) else { return }
        let exposition = """
            # TYPE requests counter
            requests 1
            # HELP temp_total Help.
            # TYPE temp_total gauge
            temp_total 1
            # HELP untyped_total Help.
            untyped_total 1
            # HELP latency_milliseconds Help.
            # TYPE latency_milliseconds histogram
            latency_milliseconds_bucket{le="+Inf"} 1
            latency_milliseconds_sum 1
            latency_milliseconds_count 1
            # HELP entropy_bits Help.
            # TYPE entropy_bits gauge
            entropy_bits 1
            # HELP size_kilobytes Help.
            # TYPE size_kilobytes gauge
            size_kilobytes 1
            # HELP rule:rate Help.
            # TYPE rule:rate gauge
            rule:rate 1
            # HELP queueDepth Help.
            # TYPE queueDepth gauge
            queueDepth{queueName="a"} 1
            queueDepth{queueName="b"} 2
            # HELP node_memory_Active_bytes Help.
            # TYPE node_memory_Active_bytes gauge
            node_memory_Active_bytes 1
            # HELP jobs_counter_total Help.
            # TYPE jobs_counter_total counter
            jobs_counter_total 1
            # HELP x_bucket Help.
            # TYPE x_bucket gauge
            x_bucket{le="1"} 1
            # HELP q Help.
            # TYPE q gauge
            q{quantile="0.5"} 1
            # HELP y_sum Help.
            # TYPE y_sum counter
            y_sum 1
            # HELP z_count Help.
            z_count 1
            # HELP latency_ms Help.
            # TYPE latency_ms gauge
            latency_ms 1
            # HELP wait_seconds_total Fine.
            # TYPE wait_seconds_total counter
            wait_seconds_total 1

            """
        let count = try await Self.expectSame(Array(exposition.utf8), promtool, "every rule")
        #expect(count >= 15)
    }

    @Test("the /metrics of Debian's node_exporter and of Prometheus 2.42")
    func realExpositions() async throws {
        guard let promtool = Peers.require(.promtool), let nodeExporter = Peers.require(.nodeExporter),
            let prometheus = Peers.require(.prometheus)
        else { return }
        let node = try await RealExpositions.nodeExporter(nodeExporter)
        let findings = try await Self.expectSame(node, promtool, "node_exporter")
        // Its memory and netstat families are camelCase and its entropy ones are in bits: plenty.
        #expect(findings > 20)
        let own = try await RealExpositions.prometheus(prometheus)
        _ = try await Self.expectSame(own, promtool, "Prometheus 2.42")
    }
}
