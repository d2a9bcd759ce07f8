import AbacusExposition
import AbacusTesting
import Foundation
import Testing

@testable import Abacus

#if canImport(Glibc)
    import Glibc
#endif

/// `ProcessMetrics`: the family set and its wire form, the `/proc` parsers on awkward input, and
/// on Linux the values against `/proc` read independently here (through Foundation, not the
/// collector's readers). Tests run in parallel with others in this process, so values that other
/// tests move (descriptors, threads, memory) are bracketed by readings taken before and after,
/// and the exact ones (a descriptor opened here) are retried a few times.
@Suite("Process metrics")
struct ProcessMetricsTests {
    /// Name, type and HELP of every family on Linux with glibc, in the order `collect()` returns
    /// them. The `process_*` ones are client_golang's.
    static let expected: [(name: String, type: MetricType, help: String)] = [
        (
            "abacus_runtime_malloc_free_bytes", .gauge,
            "Bytes glibc malloc holds free in its arenas (bins, fastbins and top chunks)."
        ),
        (
            "abacus_runtime_malloc_in_use_bytes", .gauge,
            "Bytes of glibc malloc chunks in use, including chunk headers and per-thread caches."
        ),
        (
            "abacus_runtime_malloc_system_bytes", .gauge,
            "Bytes glibc malloc has obtained from the system, arenas plus mmapped chunks."
        ),
        ("process_cpu_seconds_total", .counter, "Total user and system CPU time spent in seconds."),
        ("process_max_fds", .gauge, "Maximum number of open file descriptors."),
        ("process_network_receive_bytes_total", .counter, "Number of bytes received by the process over the network."),
        ("process_network_transmit_bytes_total", .counter, "Number of bytes sent by the process over the network."),
        ("process_open_fds", .gauge, "Number of open file descriptors."),
        ("process_resident_memory_bytes", .gauge, "Resident memory size in bytes."),
        ("process_start_time_seconds", .gauge, "Start time of the process since unix epoch in seconds."),
        ("process_threads", .gauge, "Number of OS threads in the process."),
        ("process_virtual_memory_bytes", .gauge, "Virtual memory size in bytes."),
        ("process_virtual_memory_max_bytes", .gauge, "Maximum amount of virtual memory available in bytes."),
    ]

    // MARK: The family set

    @Test("a full snapshot gives every family once, sorted by name, one unlabelled metric each")
    func fullSnapshot() throws {
        var snapshot = ProcessSnapshot()
        snapshot.cpuSeconds = 1.5
        snapshot.openFileDescriptors = 9
        snapshot.maxFileDescriptors = 1024
        snapshot.virtualMemoryBytes = 1_073_741_824
        snapshot.virtualMemoryMaxBytes = Double(UInt64.max)
        snapshot.residentMemoryBytes = 16_777_216
        snapshot.startTimeSeconds = 1_700_000_000.25
        snapshot.threads = 4
        snapshot.networkReceiveBytes = 10
        snapshot.networkTransmitBytes = 20
        snapshot.malloc = MallocTotals(arenaBytes: 1000, mmapBytes: 500, freeBytes: 300)
        let families = ProcessMetrics.families(from: snapshot)
        try expectExpectedFamilies(families)
        func value(_ name: String) -> Double? { families.first { $0.name == name }.flatMap(Self.value) }
        #expect(value("abacus_runtime_malloc_system_bytes") == 1500)
        #expect(value("abacus_runtime_malloc_in_use_bytes") == 1200)
        #expect(value("abacus_runtime_malloc_free_bytes") == 300)
        #expect(value("process_virtual_memory_max_bytes") == 1.8446744073709552e19)
        #expect(value("process_start_time_seconds") == 1_700_000_000.25)
    }

    @Test("what could not be read is left out, not reported as 0")
    func missingValuesAreOmitted() {
        #expect(ProcessMetrics.families(from: ProcessSnapshot()).isEmpty)
        var snapshot = ProcessSnapshot()
        snapshot.threads = 3
        snapshot.cpuSeconds = 0.5
        let families = ProcessMetrics.families(from: snapshot)
        #expect(families.map(\.name) == ["process_cpu_seconds_total", "process_threads"])
        #expect(families.map { Self.value($0) } == [0.5, 3])
    }

    #if os(Linux) && canImport(Glibc)
        @Test("Linux: collect() returns the fixed family set with exact names, types and HELP")
        func linuxFamilySet() throws {
            try expectExpectedFamilies(ProcessMetrics().collect())
        }
    #else
        @Test("other platforms: no reader yet, so no families (and no trap)")
        func otherPlatformsReportNothing() {
            #expect(ProcessMetrics().collect().isEmpty)
        }
    #endif

    @Test("the families encode, validate, lint clean and read back the same in every format")
    func encodesAndValidates() throws {
        var families = ProcessMetrics().collect()
        if families.isEmpty {  // not Linux: check the wire form with a filled snapshot instead
            var snapshot = ProcessSnapshot()
            snapshot.cpuSeconds = 1
            snapshot.malloc = MallocTotals(arenaBytes: 2, mmapBytes: 3, freeBytes: 1)
            families = ProcessMetrics.families(from: snapshot)
        }
        try ExpositionValidator.validate(families)
        #expect(ExpositionLinter.lint(families).isEmpty)
        let text = TextEncoder.encode(families)
        #expect(text.last == UInt8(ascii: "\n"))
        #expect(try TextParser.parse(text) == families)
        for format in [ExpositionFormat.openMetrics, .protobuf] {
            let bytes = Exposition.encode(families, format: format)
            #expect(try Exposition.parse(bytes, format: format) == families, "\(format)")
        }
        let rendered = String(decoding: text, as: UTF8.self)
        #expect(
            rendered.contains(
                "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                    + "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total "))
    }

    @Test("HELP and TYPE match what a real client_golang binary (Prometheus 2.42) exposes")
    func sameAsClientGolang() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("AbacusExpositionTests/Fixtures/prometheus-2.42.txt")
        let theirs = try TextParser.parse(Array(try Data(contentsOf: fixture))).filter { $0.name.hasPrefix("process_") }
        #expect(theirs.count == 7)
        let ours = Dictionary(uniqueKeysWithValues: Self.expected.map { ($0.name, $0) })
        for family in theirs {
            let mine = try #require(ours[family.name], "\(family.name) missing")
            #expect(mine.type == family.type, "\(family.name)")
            #expect(mine.help == family.help, "\(family.name)")
        }
    }

    @Test("promtool check metrics accepts the exposition, lint included")
    func promtoolAccepts() async throws {
        guard let promtool = Peers.require(.promtool) else { return }
        var families = ProcessMetrics().collect()
        if families.isEmpty {
            var snapshot = ProcessSnapshot()
            snapshot.cpuSeconds = 1
            families = ProcessMetrics.families(from: snapshot)
        }
        let result = try await ProcessRunner.run(promtool, ["check", "metrics"], stdin: TextEncoder.encode(families))
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stdoutText.isEmpty && result.stderrText.isEmpty)
    }

    // MARK: Parsers

    @Test("/proc/self/stat: fields are counted after the last ')', whatever the comm holds")
    func statParserAwkwardComm() throws {
        let fields =
            "S 1 1234 1234 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 7 0 767394 3133440 394 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
        let expected = ProcStat(
            parsing: Array("1234 (swift) \(fields)".utf8))
        let stat = try #require(expected)
        #expect(stat.userTicks == 250)
        #expect(stat.systemTicks == 75)
        #expect(stat.threads == 7)
        #expect(stat.startTicks == 767394)
        #expect(stat.virtualMemoryBytes == 3_133_440)
        #expect(stat.residentPages == 394)
        for comm in [
            "(a b) c))", "()", "(x) 1 2 3 (y)", "() S 9 9 9 9 9 9 9 9 9 9 9 9 9 9)", "((()))", "(tab\tnew\nline)",
        ] {
            #expect(ProcStat(parsing: Array("1234 \(comm) \(fields)".utf8)) == stat, "\(comm)")
        }
    }

    @Test(
        "/proc/self/stat: malformed lines give nil",
        arguments: [
            "", "1234 swift S 1 2 3", "1234 (swift S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
            "1234 (swift) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
            "1234 (swift) S 1 2 3 4 5 6 7 8 9 10 x 12 13 14 15 16 17 18 19 20 21 22",
            "1234 (swift) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 -21 22",
            "1234 (swift) S 1 2 3 4 5 6 7 8 9 10 99999999999999999999 12 13 14 15 16 17 18 19 20 21 22",
            ") 1234 (swift S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
        ])
    func statParserRejects(_ line: String) {
        #expect(ProcStat(parsing: Array(line.utf8)) == nil)
    }

    @Test("/proc/stat: the btime line")
    func bootTimeParser() {
        let stat =
            "cpu  10 0 20 30 0 0 0 0 0 0\ncpu0 10 0 20 30 0 0 0 0 0 0\nintr 5 1 2 3\nctxt 99\n"
            + "btime 1700000123\nprocesses 42\nprocs_running 1\n"
        #expect(ProcParsers.bootTime(Array(stat.utf8)) == 1_700_000_123)
        #expect(ProcParsers.bootTime(Array("btime 1700000123".utf8)) == 1_700_000_123)
        #expect(ProcParsers.bootTime(Array("cpu 1 2\nbtime_x 5\nbtime \n".utf8)) == nil)
        #expect(ProcParsers.bootTime(Array("cpu 1 2\nbtime abc\n".utf8)) == nil)
        #expect(ProcParsers.bootTime([]) == nil)
    }

    @Test("/proc/self/net/netstat: InOctets and OutOctets of the IpExt lines")
    func netstatParser() {
        let netstat = """
            TcpExt: SyncookiesSent InOctets
            TcpExt: 1 2
            IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets
            IpExt: 0 0 0 0 0 0 309123144 152349063 0
            MPTcpExt: MPCapableSYNRX
            MPTcpExt: 0

            """
        let octets = ProcParsers.ipOctets(Array(netstat.utf8))
        #expect(octets?.received == 309_123_144)
        #expect(octets?.transmitted == 152_349_063)
        #expect(ProcParsers.ipOctets(Array("IpExt: InOctets OutOctets\nIpExt: 1\n".utf8)) == nil)
        #expect(ProcParsers.ipOctets(Array("IpExt: InOctets\nIpExt: 1\n".utf8)) == nil)
        #expect(ProcParsers.ipOctets(Array("IpExt: InOctets OutOctets\n".utf8)) == nil)
        #expect(ProcParsers.ipOctets(Array("TcpExt: InOctets OutOctets\nTcpExt: 1 2\n".utf8)) == nil)
    }

    @Test("malloc_info: the totals after the last </heap>, version 1 only")
    func mallocInfoParser() {
        let report = """
            <malloc version="1">
            <heap nr="0">
            <sizes>
              <size from="33" to="48" total="48" count="1"/>
            </sizes>
            <total type="fast" count="1" size="48"/>
            <total type="rest" count="3" size="1000"/>
            <system type="current" size="4000"/>
            <system type="max" size="4000"/>
            <aspace type="total" size="4000"/>
            <aspace type="mprotect" size="4000"/>
            </heap>
            <heap nr="1">
            <sizes>
            </sizes>
            <total type="fast" count="0" size="0"/>
            <total type="rest" count="1" size="2000"/>
            <system type="current" size="6000"/>
            <system type="max" size="6000"/>
            <aspace type="total" size="6000"/>
            <aspace type="mprotect" size="6000"/>
            </heap>
            <total type="fast" count="1" size="48"/>
            <total type="rest" count="4" size="3000"/>
            <total type="mmap" count="1" size="10489856"/>
            <system type="current" size="10000"/>
            <system type="max" size="10000"/>
            <aspace type="total" size="10000"/>
            <aspace type="mprotect" size="10000"/>
            </malloc>

            """
        let totals = MallocTotals(parsingMallocInfo: Array(report.utf8))
        #expect(totals == MallocTotals(arenaBytes: 10000, mmapBytes: 10_489_856, freeBytes: 3048))
        #expect(totals?.systemBytes == 10_499_856)
        #expect(totals?.inUseBytes == 10_496_808)
        let version2 = report.replacingOccurrences(of: "version=\"1\"", with: "version=\"2\"")
        #expect(MallocTotals(parsingMallocInfo: Array(version2.utf8)) == nil)
        let noMmap = report.replacingOccurrences(of: "<total type=\"mmap\" count=\"1\" size=\"10489856\"/>\n", with: "")
        #expect(MallocTotals(parsingMallocInfo: Array(noMmap.utf8)) == nil)
        #expect(MallocTotals(parsingMallocInfo: Array("<malloc version=\"1\">\n</malloc>\n".utf8)) == nil)
        #expect(MallocTotals(arenaBytes: 10, mmapBytes: 0, freeBytes: 20).inUseBytes == 0)
    }

    // MARK: Helpers

    static func value(_ family: MetricFamily) -> Double? {
        guard family.metrics.count == 1 else { return nil }
        switch family.metrics[0].value {
        case .gauge(let value): return value
        case .counter(let counter): return counter.value
        default: return nil
        }
    }

    func expectExpectedFamilies(_ families: [MetricFamily], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        #expect(families.map(\.name) == Self.expected.map(\.name), sourceLocation: sourceLocation)
        let names = families.map(\.name)
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, sourceLocation: sourceLocation)
        for (family, expected) in zip(families, Self.expected) {
            #expect(family.type == expected.type, "\(family.name)", sourceLocation: sourceLocation)
            #expect(family.help == expected.help, "\(family.name)", sourceLocation: sourceLocation)
            #expect(family.unit == nil, sourceLocation: sourceLocation)
            #expect(family.metrics.count == 1, "\(family.name)", sourceLocation: sourceLocation)
            #expect(family.metrics.first?.labels.isEmpty == true, sourceLocation: sourceLocation)
            let value = try #require(Self.value(family), "\(family.name)", sourceLocation: sourceLocation)
            #expect(value >= 0 && value.isFinite, "\(family.name) = \(value)", sourceLocation: sourceLocation)
        }
    }
}
