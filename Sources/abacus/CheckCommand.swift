import AbacusExposition
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `abacus check`: lints an exposition, or converts it to another format.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Lint a metrics exposition (text 0.0.4, OpenMetrics or protobuf), or convert it.",
        discussion: """
            Reports each problem on its own line as `line N: message`: parse errors and broken \
            Prometheus rules first (duplicate series, families split apart, invalid histograms \
            and summaries, ...), then the style findings `promtool check metrics` makes. In text \
            0.0.4 every problem is reported, parsing resuming on the next line; in OpenMetrics \
            and protobuf, the first error. Exit status: 0 when there is nothing to report, 1 when \
            there is, 2 when the input cannot be read.

            With --convert, writes the exposition in another format to standard output instead \
            (exit 1, and nothing written, when the input is invalid).
            """
    )

    @Argument(help: "The exposition to read; - or nothing for standard input.")
    var file: String = "-"

    @Option(help: "Input format: auto, text, openmetrics or protobuf.")
    var format: InputFormat = .auto

    @Option(help: "Write the exposition in this format instead of linting: text, openmetrics, protobuf or json.")
    var convert: OutputFormat?

    @Flag(help: "Report only what breaks the format or Prometheus' rules, not style findings.")
    var noLint = false

    enum InputFormat: String, ExpressibleByArgument, CaseIterable {
        case auto, text, openmetrics, protobuf
    }

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, openmetrics, protobuf, json

        var format: ExpositionFormat {
            switch self {
            case .text: .text
            case .openmetrics: .openMetrics
            case .protobuf: .protobuf
            case .json: .json
            }
        }
    }

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try readAll(file)
        } catch {
            printError("abacus check: \(error)")
            throw ExitCode(2)
        }
        let inputFormat: ExpositionFormat =
            switch format {
            case .auto: Exposition.detectFormat(bytes)
            case .text: .text
            case .openmetrics: .openMetrics
            case .protobuf: .protobuf
            }
        if let convert {
            let families: [MetricFamily]
            do {
                families = try Exposition.parse(bytes, format: inputFormat)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            writeAll(Exposition.encode(families, format: convert.format))
            return
        }
        var report: [String] = []
        let families: [MetricFamily]
        if inputFormat == .text {
            let result = TextParser.problems(in: bytes)
            families = result.families
            report += result.problems.map(\.description)
        } else {
            do {
                families = try Exposition.parse(bytes, format: inputFormat)
            } catch {
                families = []
                report.append("\(error)")
            }
        }
        if !noLint {
            let lines = inputFormat == .protobuf ? [:] : FamilyLines(bytes).lines
            for finding in ExpositionLinter.lint(families) {
                let line = lines[finding.family] ?? lines[String(finding.family.dropLast(6))]
                report.append((line.map { "line \($0): " } ?? "") + finding.description)
            }
        }
        for line in report { print(line) }
        if !report.isEmpty { throw ExitCode(1) }
    }
}

/// The first line each metric name appears on (in HELP, TYPE, UNIT or sample lines, with
/// histogram and summary suffixes stripped), to put line numbers on lint findings.
struct FamilyLines {
    var lines: [String: Int] = [:]

    init(_ bytes: [UInt8]) {
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var words = line.split(separator: 0x20, maxSplits: 3)
            if words.first?.elementsEqual("#".utf8) == true {
                guard words.count >= 3 else { continue }
                words.removeFirst(2)
            }
            guard let first = words.first else { continue }
            let name = String(decoding: first.prefix { $0 != UInt8(ascii: "{") }, as: UTF8.self)
            for candidate in [name]
                + ["_bucket", "_count", "_sum", "_gcount", "_gsum", "_created", "_info"]
                .filter({ name.hasSuffix($0) }).map({ String(name.dropLast($0.count)) })
            where lines[candidate] == nil {
                lines[candidate] = lineNumber
            }
        }
    }
}

func readAll(_ path: String) throws -> [UInt8] {
    let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
    if fd < 0 { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { if fd != 0 { close(fd) } }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ValidationError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if n == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<n])
    }
}

/// Writes all of `bytes` to a file descriptor (standard output by default).
func writeAll(_ bytes: [UInt8], to fd: Int32 = 1) {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}

func printError(_ message: String) {
    writeAll(Array((message + "\n").utf8), to: 2)
}
