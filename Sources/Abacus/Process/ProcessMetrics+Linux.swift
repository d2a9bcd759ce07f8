#if os(Linux) && canImport(Glibc)
    import Glibc

    extension ProcessSnapshot {
        /// Reads every figure from `/proc` and the C library, leaving out what cannot be read.
        static func current() -> ProcessSnapshot {
            var snapshot = ProcessSnapshot()
            if let bytes = ProcFile.read("/proc/self/stat"), let stat = ProcStat(parsing: bytes) {
                snapshot.virtualMemoryBytes = Double(stat.virtualMemoryBytes)
                snapshot.threads = Double(stat.threads)
                if let pageSize = LinuxSystem.pageSize {
                    snapshot.residentMemoryBytes = Double(stat.residentPages) * pageSize
                }
                if let ticks = LinuxSystem.clockTicksPerSecond {
                    snapshot.cpuSeconds = (Double(stat.userTicks) + Double(stat.systemTicks)) / ticks
                    if let bootTime = LinuxSystem.bootTime {
                        snapshot.startTimeSeconds = Double(bootTime) + Double(stat.startTicks) / ticks
                    }
                }
            }
            snapshot.openFileDescriptors = LinuxSystem.openFileDescriptorCount().map { Double($0) }
            snapshot.maxFileDescriptors = LinuxSystem.softLimit(RLIMIT_NOFILE).map { Double($0) }
            snapshot.virtualMemoryMaxBytes = LinuxSystem.softLimit(RLIMIT_AS).map { Double($0) }
            if let bytes = ProcFile.read("/proc/self/net/netstat"), let octets = ProcParsers.ipOctets(bytes) {
                snapshot.networkReceiveBytes = Double(octets.received)
                snapshot.networkTransmitBytes = Double(octets.transmitted)
            }
            snapshot.malloc = GlibcMalloc.totals()
            return snapshot
        }
    }

    /// Facts about the system and this process, the constant ones read once.
    enum LinuxSystem {
        /// `sysconf(_SC_CLK_TCK)`: the unit of the times in `/proc/[pid]/stat` (100 on Linux).
        static let clockTicksPerSecond: Double? = positive(sysconf(Int32(_SC_CLK_TCK)))

        /// `sysconf(_SC_PAGESIZE)`: the unit of `rss` in `/proc/[pid]/stat`.
        static let pageSize: Double? = positive(sysconf(Int32(_SC_PAGESIZE)))

        /// The `btime` of `/proc/stat`, read on first use. The file can hold tens of kilobytes
        /// (a line per CPU and per interrupt), hence the larger limit; it is read only once.
        static let bootTime: UInt64? = ProcFile.read("/proc/stat", limit: 1 << 22).flatMap(ProcParsers.bootTime)

        /// Whether the size `stat` reports for `/proc/self/fd` is the number of open descriptors,
        /// as it is since Linux 6.2. Checked once against a listing, so that a kernel reporting
        /// 0 and an emulated `/proc` (gVisor, WSL 1) reporting anything else get the listing; a
        /// descriptor opened or closed by another thread during the check only makes it choose
        /// the listing too, so the check is tried up to ten times.
        static let fdDirectorySizeIsCount: Bool = {
            // A race makes one attempt disagree; a kernel without the feature disagrees every
            // time. So a few attempts before settling on the listing.
            for _ in 0..<10 {
                guard let before = fdDirectorySize(), before > 0, let listed = listedFileDescriptorCount(),
                    let after = fdDirectorySize()
                else { return false }
                if before == listed && listed == after { return true }
            }
            return false
        }()

        /// The number of open file descriptors of this process, or `nil` when `/proc/self/fd`
        /// cannot be read: one `stat` where the directory's size is that number (see
        /// ``fdDirectorySizeIsCount``), else a listing of the directory, O(open descriptors).
        static func openFileDescriptorCount() -> Int? {
            if fdDirectorySizeIsCount, let size = fdDirectorySize(), size > 0 { return size }
            return listedFileDescriptorCount()
        }

        /// The size `stat` reports for `/proc/self/fd`.
        static func fdDirectorySize() -> Int? {
            var info = stat()
            guard stat("/proc/self/fd", &info) == 0 else { return nil }
            return Int(info.st_size)
        }

        /// The entries of `/proc/self/fd`, leaving out the descriptor the listing itself uses.
        static func listedFileDescriptorCount() -> Int? {
            guard let directory = opendir("/proc/self/fd") else { return nil }
            defer { closedir(directory) }
            let own = UInt64(max(dirfd(directory), 0))
            var count = 0
            while let entry = readdir(directory) {
                let number = withUnsafeBytes(of: entry.pointee.d_name) { name in
                    ProcText.unsigned(name.prefix { $0 != 0 })
                }
                // `.` and `..` are not numbers.
                if let number, number != own { count += 1 }
            }
            return count
        }

        /// The soft limit of `resource`; `RLIM_INFINITY` is `UInt64.max`.
        static func softLimit(_ resource: __rlimit_resource) -> UInt64? {
            var limit = rlimit()
            guard getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 else { return nil }
            return UInt64(limit.rlim_cur)
        }

        private static func positive(_ value: Int) -> Double? {
            value > 0 ? Double(value) : nil
        }
    }

    /// Reading a `/proc` file whole.
    enum ProcFile {
        /// The bytes of the file at `path`, read 4 KiB at a time through a stack buffer, at most
        /// `limit` of them; `nil` when it cannot be opened or read. `/proc` files have no size
        /// to ask for beforehand (`stat` says 0), so this reads until end of file.
        static func read(_ path: String, limit: Int = 1 << 16) -> [UInt8]? {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes: [UInt8] = []
            let chunk = 4096
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buffer -> [UInt8]? in
                while bytes.count < limit {
                    let count = Glibc.read(fd, buffer.baseAddress, min(chunk, limit - bytes.count))
                    if count == 0 { break }
                    if count < 0 {
                        if errno == EINTR { continue }
                        return nil
                    }
                    if bytes.isEmpty { bytes.reserveCapacity(count < chunk ? count : 2 * chunk) }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
                }
                return bytes
            }
        }
    }
#endif
