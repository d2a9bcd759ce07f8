#if os(Linux) && canImport(Glibc)
    @testable import Abacus
    import AbacusExposition
    import AbacusTesting
    import Foundation
    import Glibc
    import Testing

    /// The values `ProcessMetrics` reports on Linux, against `/proc` and the C library read here.
    extension ProcessMetricsTests {
        @Test("resident and virtual memory lie between /proc/self/statm readings taken around them")
        func memoryMatchesStatm() throws {
            let page = Double(sysconf(Int32(_SC_PAGESIZE)))
            let slack = 4.0 * 1024 * 1024  // what reading and collecting may allocate meanwhile
            func statm() throws -> (virtual: Double, resident: Double) {
                let fields = try Proc.text("/proc/self/statm").split(separator: " ")
                return (try #require(Double(fields[0])) * page, try #require(Double(fields[1])) * page)
            }
            let matched = try eventually {
                let before = try statm()
                let families = ProcessMetrics().collect()
                let after = try statm()
                let resident = try Self.collected("process_resident_memory_bytes", in: families)
                let virtual = try Self.collected("process_virtual_memory_bytes", in: families)
                return resident > 0 && virtual >= resident
                    && (min(before.resident, after.resident) - slack...max(before.resident, after.resident) + slack)
                        .contains(resident)
                    && (min(before.virtual, after.virtual) - slack...max(before.virtual, after.virtual) + slack)
                        .contains(virtual)
            }
            #expect(matched)
        }

        @Test("process_open_fds rises by one while a file is open and falls back when it is closed")
        func openFileDescriptorsFollowOpenAndClose() throws {
            let followed = try eventually(10) {
                let before = try Self.collected("process_open_fds")
                let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
                try #require(fd >= 0)
                let during = try Self.collected("process_open_fds")
                close(fd)
                let after = try Self.collected("process_open_fds")
                return during == before + 1 && after == before
            }
            #expect(followed)
        }

        @Test("the count of /proc/self/fd agrees with Foundation's listing; Linux 6.2+ counts with one stat")
        func openFileDescriptorsMatchListing() throws {
            let agreed = try eventually(10) {
                // Foundation's listing includes the descriptor it reads the directory with.
                let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count - 1
                let ours = try #require(LinuxSystem.openFileDescriptorCount())
                let listed = try #require(LinuxSystem.listedFileDescriptorCount())
                let after = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count - 1
                return ours == before && listed == before && after == before
            }
            #expect(agreed)
            var names = utsname()
            uname(&names)
            let release = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let version = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            if version.count == 2 && (version[0], version[1]) >= (6, 2) {
                #expect(LinuxSystem.fdDirectorySizeIsCount, "kernel \(release)")
            }
        }

        @Test("process_max_fds and process_virtual_memory_max_bytes are the soft limits of /proc/self/limits")
        func limitsMatchProcLimits() throws {
            let limits = try Proc.text("/proc/self/limits").split(separator: "\n")
            func soft(_ name: String) throws -> Double {
                let line = try #require(limits.first { $0.hasPrefix(name) })
                let token = try #require(line.dropFirst(name.count).split(separator: " ").first)
                // client_golang (procfs) reads "unlimited" as 2^64 - 1.
                return token == "unlimited" ? 18_446_744_073_709_551_615 : try #require(Double(token))
            }
            #expect(try Self.collected("process_max_fds") == soft("Max open files"))
            #expect(try Self.collected("process_virtual_memory_max_bytes") == soft("Max address space"))
        }

        @Test("process_start_time_seconds is now minus the process's age, and constant")
        func startTimeIsProcessStart() throws {
            let start = try Self.collected("process_start_time_seconds")
            // The wall clock read on both sides of /proc/uptime: a stall between the reads only
            // widens the window, it cannot fail the test.
            let nowBefore = Date().timeIntervalSince1970
            let uptime = try #require(Double(try Proc.text("/proc/uptime").split(separator: " ")[0]))
            let now = Date().timeIntervalSince1970
            let stat = try Proc.text("/proc/self/stat")
            let close = try #require(stat.lastIndex(of: ")"))
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let startTicks = try #require(Double(fields[19]))  // field 22, `starttime`
            let age = uptime - startTicks / Double(sysconf(Int32(_SC_CLK_TCK)))
            #expect(age >= 0 && age < 86_400)
            // btime is whole seconds (truncated), /proc/uptime has 10 ms steps.
            #expect(
                start >= nowBefore - age - 2 && start <= now - age + 2,
                "start \(start), now \(nowBefore)…\(now), age \(age)")
            #expect(start <= now)
            #expect(try Self.collected("process_start_time_seconds") == start)
        }

        @Test("process_cpu_seconds_total grows with a busy loop and agrees with getrusage")
        func cpuSecondsFollowWork() throws {
            let before = try Self.collected("process_cpu_seconds_total")
            let spent = Self.spin(cpuSeconds: 0.3)
            let after = try Self.collected("process_cpu_seconds_total")
            #expect(spent >= 0.3)
            // /proc counts in 10 ms ticks.
            #expect(after >= before + spent - 0.05, "before \(before), after \(after), spent \(spent)")
            let usageBefore = Self.rusageSeconds()
            let cpu = try Self.collected("process_cpu_seconds_total")
            let usageAfter = Self.rusageSeconds()
            #expect(cpu >= usageBefore - 0.1 && cpu <= usageAfter + 0.1, "\(usageBefore) \(cpu) \(usageAfter)")
            #expect(try Self.collected("process_cpu_seconds_total") >= cpu)
        }

        @Test("process_threads lies between the Threads: lines of /proc/self/status read around it")
        func threadsMatchStatus() throws {
            func status() throws -> Double {
                let line = try #require(
                    try Proc.text("/proc/self/status").split(separator: "\n").first { $0.hasPrefix("Threads:") })
                return try #require(Double(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)))
            }
            let matched = try eventually {
                let before = try status()
                let threads = try Self.collected("process_threads")
                let after = try status()
                return threads >= 1 && (min(before, after)...max(before, after)).contains(threads)
            }
            #expect(matched)
        }

        @Test("network counters lie between IpExt readings of /proc/self/net/netstat taken around them")
        func networkMatchesNetstat() throws {
            func octets() throws -> (Double, Double) {
                let lines = try Proc.text("/proc/self/net/netstat").split(separator: "\n").filter {
                    $0.hasPrefix("IpExt:")
                }
                try #require(lines.count == 2)
                let names = lines[0].split(separator: " ")
                let values = lines[1].split(separator: " ")
                let received = try #require(names.firstIndex(of: "InOctets"))
                let sent = try #require(names.firstIndex(of: "OutOctets"))
                return (try #require(Double(values[received])), try #require(Double(values[sent])))
            }
            let before = try octets()
            let families = ProcessMetrics().collect()
            let after = try octets()
            let received = try Self.collected("process_network_receive_bytes_total", in: families)
            let sent = try Self.collected("process_network_transmit_bytes_total", in: families)
            #expect((before.0...after.0).contains(received))
            #expect((before.1...after.1).contains(sent))
        }

        @Test("malloc figures: system = in use + free, and a 64 MiB block is in use until freed")
        func mallocFiguresFollowAllocation() throws {
            #expect(GlibcMalloc.mallocInfoAddress != nil, "glibc's malloc_info should be found")
            let families = ProcessMetrics().collect()
            let system = try Self.collected("abacus_runtime_malloc_system_bytes", in: families)
            let inUse = try Self.collected("abacus_runtime_malloc_in_use_bytes", in: families)
            let free = try Self.collected("abacus_runtime_malloc_free_bytes", in: families)
            #expect(system == inUse + free)
            #expect(inUse > 0 && system > 0)
            let mebibyte = 1024.0 * 1024
            let followed = try eventually {
                let before = try Self.collected("abacus_runtime_malloc_in_use_bytes")
                // Above glibc's largest mmap threshold (32 MiB), so a chunk of its own.
                let block = try #require(malloc(64 << 20))
                let during = try Self.collected("abacus_runtime_malloc_in_use_bytes")
                Glibc.free(block)
                let after = try Self.collected("abacus_runtime_malloc_in_use_bytes")
                return during - before >= 63 * mebibyte && during - after >= 63 * mebibyte
            }
            #expect(followed)
        }

        // MARK: Helpers

        /// `/proc` files read through Foundation, independently of the collector's reader.
        enum Proc {
            static func text(_ path: String) throws -> String {
                let handle = try #require(FileHandle(forReadingAtPath: path))
                defer { try? handle.close() }
                return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            }
        }

        /// The value of family `name` in `families` (by default, a fresh collection).
        static func collected(
            _ name: String, in families: [MetricFamily] = ProcessMetrics().collect(),
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> Double {
            let family = try #require(families.first { $0.name == name }, "\(name)", sourceLocation: sourceLocation)
            return try #require(value(family), "\(name)", sourceLocation: sourceLocation)
        }

        /// Runs `body` up to `attempts` times until it returns true: for checks that a test
        /// running in parallel (opening a file, starting a thread) can disturb.
        func eventually(_ attempts: Int = 5, _ body: () throws -> Bool) rethrows -> Bool {
            for _ in 0..<attempts where try body() { return true }
            return false
        }

        /// Keeps this thread busy until it has used `cpuSeconds` of CPU time (or 10 s have
        /// passed); returns the CPU time used.
        static func spin(cpuSeconds: Double) -> Double {
            func threadTime() -> Double {
                var time = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
                return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
            }
            let start = threadTime()
            // Generous: a starved thread on a loaded machine gets its 0.3 s of CPU late.
            let deadline = ContinuousClock.now + .seconds(Patience.seconds)
            var sink: UInt64 = 1
            while threadTime() - start < cpuSeconds && ContinuousClock.now < deadline {
                for i in 0..<10_000 { sink = sink &* 6_364_136_223_846_793_005 &+ UInt64(i) }
            }
            withExtendedLifetime(sink) {}
            return threadTime() - start
        }

        /// User plus system CPU time of the process, from getrusage.
        static func rusageSeconds() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
    }
#endif
