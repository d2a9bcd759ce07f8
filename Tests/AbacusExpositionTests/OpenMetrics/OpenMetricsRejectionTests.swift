import AbacusExposition
import Testing

/// One case per rule the parser enforces: the input, the line it must blame and words the
/// message must contain.
struct Rejection: CustomTestStringConvertible, Sendable {
    var name: String
    var input: String
    var line: Int
    var message: String
    var testDescription: String { name }

    init(_ name: String, _ input: String, line: Int, _ message: String) {
        self.name = name
        self.input = input
        self.line = line
        self.message = message
    }
}

@Suite struct OpenMetricsRejectionTests {
    static let structure: [Rejection] = [
        Rejection("missing EOF", "a 1\n", line: 2, "missing # EOF"),
        Rejection("empty input", "", line: 1, "missing # EOF"),
        Rejection("content after EOF", "# EOF\na 1\n", line: 2, "unexpected content after # EOF"),
        Rejection("a blank line after EOF", "# EOF\n\n", line: 2, "unexpected content after # EOF"),
        Rejection("last line unterminated", "a 1", line: 1, "missing # EOF"),
        Rejection("blank line", "a 1\n\n# EOF\n", line: 2, "blank lines are not allowed"),
        Rejection("carriage return", "a 1\r\n# EOF\n", line: 1, "carriage return"),
        Rejection("comment line", "# hello world\n# EOF\n", line: 1, "comments are not allowed"),
        Rejection("hash without space", "#TYPE a gauge\n# EOF\n", line: 1, "comments are not allowed"),
        Rejection("byte order mark", "\u{FEFF}a 1\n# EOF\n", line: 1, "byte order mark"),
        Rejection("EOF with trailing space", "a 1\n# EOF \n", line: 2, "comments are not allowed"),
    ]

    static let metadata: [Rejection] = [
        Rejection("untyped keyword", "# TYPE a untyped\n# EOF\n", line: 1, "OpenMetrics calls it unknown"),
        Rejection("unknown type", "# TYPE a timer\n# EOF\n", line: 1, "unknown metric type timer"),
        Rejection("second TYPE", "# TYPE a gauge\n# TYPE a gauge\n# EOF\n", line: 2, "second # TYPE line for a"),
        Rejection("second HELP", "# HELP a x\n# HELP a y\n# EOF\n", line: 2, "second # HELP line for a"),
        Rejection("second UNIT", "# UNIT a_s s\n# UNIT a_s s\n# EOF\n", line: 2, "second # UNIT line for a_s"),
        Rejection(
            "metadata after samples", "# TYPE a gauge\na 1\n# HELP a x\n# EOF\n", line: 3,
            "comes after its samples"),
        Rejection(
            "unit not a suffix", "# TYPE foo counter\n# UNIT foo seconds\n# EOF\n", line: 2,
            "unit seconds is not a suffix of the family name foo"),
        Rejection(
            "unit on info", "# TYPE foo_seconds info\n# UNIT foo_seconds seconds\n# EOF\n", line: 2,
            "info family foo_seconds must not have a unit"),
        Rejection(
            "unit on stateset", "# UNIT foo_seconds seconds\n# TYPE foo_seconds stateset\n# EOF\n", line: 1,
            "stateset family foo_seconds must not have a unit"),
        Rejection("unit with bad characters", "# UNIT foo_s s-1\n# EOF\n", line: 1, "unit of foo_s may only contain"),
        Rejection(
            "help with unknown escape", "# HELP a tab\\there\n# EOF\n", line: 1,
            "invalid escape sequence in the help of a"),
        Rejection(
            "help without space", "# HELP a\n# EOF\n", line: 1, "expected a space after the metric name in # HELP"),
        Rejection("TYPE without name", "# TYPE\n# EOF\n", line: 1, "# TYPE needs a metric name"),
        Rejection("invalid metric name", "# TYPE 1a gauge\n# EOF\n", line: 1, "# TYPE needs a metric name, found '1'"),
    ]

    static let lexing: [Rejection] = [
        Rejection("label value not terminated", "a{b=\"c} 1\n# EOF\n", line: 1, "label value not terminated"),
        Rejection(
            "unknown label escape", "a{b=\"\\t\"} 1\n# EOF\n", line: 1,
            "invalid escape sequence in the value of label b"),
        Rejection("duplicate label name", "a{b=\"1\",b=\"2\"} 1\n# EOF\n", line: 1, "duplicate label name b"),
        Rejection("trailing comma", "a{b=\"1\",} 1\n# EOF\n", line: 1, "trailing comma in label set"),
        Rejection(
            "space in label set", "a{b=\"1\", c=\"2\"} 1\n# EOF\n", line: 1, "expected a label name, found a space"),
        Rejection(
            "unquoted label value", "a{b=1} 1\n# EOF\n", line: 1, "the value of label b must be in double quotes"),
        Rejection("missing equals", "a{b} 1\n# EOF\n", line: 1, "expected '=' after label name b"),
        Rejection(
            "label name starting with digit", "a{1b=\"x\"} 1\n# EOF\n", line: 1, "expected a label name, found '1'"),
        Rejection(
            "labels not closed", "a{b=\"1\" 1\n# EOF\n", line: 1, "expected ',' or '}' after the value of label b"),
        Rejection("no value", "a\n# EOF\n", line: 1, "expected a space and a value after a"),
        Rejection("two spaces before value", "a  1\n# EOF\n", line: 1, "missing sample value"),
        Rejection("trailing space", "a 1 \n# EOF\n", line: 1, "missing timestamp"),
        Rejection("value not a number", "a one\n# EOF\n", line: 1, "sample value one is not a number"),
        Rejection("hex value", "a 0x1F\n# EOF\n", line: 1, "sample value 0x1F is not a number"),
        Rejection("signed NaN", "a -NaN\n# EOF\n", line: 1, "sample value -NaN is not a number"),
        Rejection("NaN timestamp", "a 1 NaN\n# EOF\n", line: 1, "timestamp NaN is not a finite number"),
        Rejection("text after timestamp", "a 1 2 3\n# EOF\n", line: 1, "unexpected text after the timestamp"),
        Rejection("space before labels", "a {b=\"1\"} 1\n# EOF\n", line: 1, "sample value {b=\"1\"} is not a number"),
        Rejection(
            "line starting with space", " a 1\n# EOF\n", line: 1,
            "expected a metric name at the start of the line, found a space"),
        Rejection("invalid UTF-8", "a{b=\"\u{1}\"} 1\n# EOF\n", line: 1, "is not valid UTF-8"),
        Rejection("tab separator", "a\t1\n# EOF\n", line: 1, "found a tab"),
    ]

    static let grouping: [Rejection] = [
        Rejection(
            "sample not of the family", "# TYPE a histogram\na 1\n# EOF\n", line: 2,
            "sample name a does not belong to family a (histogram): its samples are named a_bucket, a_count, a_sum or a_created"
        ),
        Rejection(
            "counter sample without suffix", "# TYPE a counter\na 1\n# EOF\n", line: 2,
            "sample name a does not belong to family a (counter)"),
        Rejection(
            "interleaved families", "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n", line: 5,
            "metric family a appears again (it started on line 1)"),
        Rejection(
            "interleaved by suffix", "# TYPE a counter\na_total 1\nb 1\na_created 1\n# EOF\n", line: 4,
            "sample a_created belongs to family a (counter) from line 1, which has already ended"),
        Rejection(
            "clashing family", "# TYPE a counter\na_total 1\n# TYPE a_created gauge\n# EOF\n", line: 3,
            "family a_created clashes with family a (counter)"),
        Rejection(
            "clash found later", "# TYPE a_total gauge\n# TYPE a counter\n# EOF\n", line: 2,
            "family a (counter) clashes with family a_total"),
        Rejection(
            "interleaved metrics", "a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 2\n# EOF\n", line: 3,
            "a{x=\"1\"} appears again after other metrics of a"),
        Rejection(
            "interleaved metric points",
            "# TYPE s summary\ns_count{a=\"x\"} 1\ns_count{a=\"y\"} 1\ns_sum{a=\"x\"} 1\n# EOF\n",
            line: 4, "s{a=\"x\"} appears again after other metrics of s"),
        Rejection("duplicate sample", "a 1\na 2\n# EOF\n", line: 2, "duplicate sample a"),
        Rejection(
            "duplicate labels in other order", "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n# EOF\n", line: 2,
            "duplicate sample a{x=\"1\",y=\"2\"}"),
        Rejection("second MetricPoint", "a 1 1\na 2 2\n# EOF\n", line: 2, "has a second MetricPoint"),
        Rejection(
            "timestamp on some samples only", "# TYPE s summary\ns_count 1 1\ns_sum 2\n# EOF\n", line: 3,
            "mixes samples with and without timestamps"),
        Rejection(
            "timestamps going backwards", "# TYPE s summary\ns_count 1 2\ns_sum 2 1\n# EOF\n", line: 3,
            "go backwards"),
        Rejection(
            "duplicate info metric", "# TYPE i info\ni_info{a=\"1\"} 1\ni_info{a=\"2\"} 1\ni_info{a=\"1\"} 1\n# EOF\n",
            line: 4, "duplicate info metric i{a=\"1\"}"),
        Rejection("reserved label name", "a{__x=\"1\"} 1\n# EOF\n", line: 1, "family a: label name __x"),
    ]

    static let values: [Rejection] = [
        Rejection("NaN counter", "# TYPE c counter\nc_total NaN\n# EOF\n", line: 2, "counter total c_total is NaN"),
        Rejection(
            "negative counter", "# TYPE c counter\nc_total -1\n# EOF\n", line: 2, "counter total c_total is negative"),
        Rejection(
            "created without total", "# TYPE c counter\nc_created 1\n# EOF\n", line: 2, "has c_created but no c_total"),
        Rejection(
            "created NaN", "# TYPE c counter\nc_total 1\nc_created NaN\n# EOF\n", line: 3,
            "must be a finite number of seconds"),
        Rejection(
            "exemplar on a gauge", "a 1 # {} 1\n# EOF\n", line: 1,
            "exemplars are only allowed on counter _total and histogram _bucket samples"),
        Rejection(
            "exemplar on created", "# TYPE c counter\nc_total 1\nc_created 1 # {} 1\n# EOF\n", line: 3,
            "exemplars are only allowed"),
        Rejection(
            "exemplar too long",
            "# TYPE c counter\nc_total 1 # {t=\"" + String(repeating: "x", count: 128) + "\"} 1\n# EOF\n",
            line: 2, "exemplar labels are 129 code points long"),
        Rejection(
            "exemplar without space", "# TYPE c counter\nc_total 1 #{} 1\n# EOF\n", line: 2,
            "an exemplar must be written"),
        Rejection(
            "exemplar without value", "# TYPE c counter\nc_total 1 # {}\n# EOF\n", line: 2,
            "expected a space and a value after the exemplar's labels"),
        Rejection(
            "exemplar with extra text", "# TYPE c counter\nc_total 1 # {} 1 2 3\n# EOF\n", line: 2,
            "unexpected text after the exemplar"),
        Rejection(
            "no +Inf bucket", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n# EOF\n", line: 2,
            "histogram h has no le=\"+Inf\" bucket"),
        Rejection(
            "buckets out of order", "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n# EOF\n", line: 3,
            "buckets must be in increasing le order"),
        Rejection(
            "duplicate bucket", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"1.0\"} 1\n# EOF\n", line: 3,
            "duplicate bucket le=\"1.0\""),
        Rejection(
            "bucket without le", "# TYPE h histogram\nh_bucket 1\n# EOF\n", line: 2,
            "histogram bucket h_bucket has no le label"),
        Rejection("le NaN", "# TYPE h histogram\nh_bucket{le=\"NaN\"} 1\n# EOF\n", line: 2, "le value must not be NaN"),
        Rejection(
            "le Inf misspelled", "# TYPE h histogram\nh_bucket{le=\"Inf\"} 1\n# EOF\n", line: 2,
            "le value \"Inf\" must be written +Inf"),
        Rejection(
            "le not a number", "# TYPE h histogram\nh_bucket{le=\"big\"} 1\n# EOF\n", line: 2,
            "le value \"big\" is not a number"),
        Rejection(
            "counts not cumulative", "# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\n# EOF\n",
            line: 3,
            "counts must be cumulative"),
        Rejection(
            "fractional bucket count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.5\n# EOF\n", line: 2,
            "must have an integer count"),
        Rejection(
            "negative bucket count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} -1\n# EOF\n", line: 2,
            "has a negative count"),
        Rejection(
            "count differs from +Inf", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 4\nh_count 5\nh_sum 1\n# EOF\n",
            line: 4,
            "h_count (5) of h differs from its +Inf bucket (4)"),
        Rejection(
            "sum without count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\n# EOF\n", line: 3,
            "has h_sum but no h_count"),
        Rejection(
            "count without sum", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 4\nh_count 4\n# EOF\n", line: 3,
            "has h_count but no h_sum"),
        Rejection(
            "sum with negative buckets",
            "# TYPE h histogram\nh_bucket{le=\"-1\"} 0\nh_bucket{le=\"+Inf\"} 4\nh_count 4\nh_sum 1\n# EOF\n",
            line: 5, "has buckets below zero, so it must not have h_sum"),
        Rejection(
            "negative gsum", "# TYPE g gaugehistogram\ng_bucket{le=\"+Inf\"} 4\ng_gcount 4\ng_gsum -1\n# EOF\n",
            line: 4,
            "g_gsum of g is negative although no bucket is below zero"),
        Rejection(
            "le on count", "# TYPE h histogram\nh_count{le=\"1\"} 1\n# EOF\n", line: 2,
            "the le label is only allowed on h_bucket samples"),
        Rejection(
            "exemplar outside bucket",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1 # {} 2\nh_bucket{le=\"+Inf\"} 1\n# EOF\n",
            line: 2, "exemplar value 2 is outside the range of bucket le=\"1\""),
        Rejection(
            "quantile out of range", "# TYPE s summary\ns{quantile=\"1.5\"} 1\n# EOF\n", line: 2,
            "quantile 1.5 is not between 0 and 1"),
        Rejection(
            "quantile missing", "# TYPE s summary\ns 1\n# EOF\n", line: 2, "summary sample s has no quantile label"),
        Rejection(
            "negative quantile value", "# TYPE s summary\ns{quantile=\"0.5\"} -1\n# EOF\n", line: 2,
            "quantile value s is negative"),
        Rejection("NaN summary count", "# TYPE s summary\ns_count NaN\n# EOF\n", line: 2, "count s_count is NaN"),
        Rejection(
            "fractional summary count", "# TYPE s summary\ns_count 1.5\n# EOF\n", line: 2,
            "count s_count must be an integer"),
        Rejection("negative summary sum", "# TYPE s summary\ns_sum -2\n# EOF\n", line: 2, "sum s_sum is negative"),
        Rejection(
            "quantile label on count", "# TYPE s summary\ns_count{quantile=\"0.5\"} 1\n# EOF\n", line: 2,
            "the quantile label is only allowed on the quantile samples of s"),
        Rejection(
            "info value not 1", "# TYPE i info\ni_info 2\n# EOF\n", line: 2,
            "info sample i_info must have the value 1, not 2"),
        Rejection("stateset value 2", "# TYPE s stateset\ns{s=\"a\"} 2\n# EOF\n", line: 2, "must be 0 or 1, not 2"),
        Rejection(
            "stateset without state label", "# TYPE s stateset\ns{x=\"a\"} 1\n# EOF\n", line: 2,
            "stateset sample s has no label named s"),
        Rejection(
            "stateset state twice", "# TYPE s stateset\ns{s=\"a\"} 1\ns{s=\"a\"} 0\n# EOF\n", line: 3,
            "state \"a\" of s appears twice"),
    ]

    @Test(arguments: structure + metadata + lexing + grouping + values)
    func rejects(_ rejection: Rejection) {
        do {
            // U+0001 stands for the byte 0xFF, which no Swift string can hold.
            let bytes = rejection.input.utf8.map { $0 == 0x01 ? 0xFF : $0 }
            let families = try OpenMetricsParser.parse(bytes)
            Issue.record("accepted: \(families)")
        } catch let error as ExpositionError {
            #expect(error.line == rejection.line, "\(error)")
            #expect(error.message.contains(rejection.message), "\(error)")
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }
}
