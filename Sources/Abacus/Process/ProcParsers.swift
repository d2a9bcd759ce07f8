/// The fields of `/proc/[pid]/stat` that ``ProcessMetrics`` reports (proc(5) numbers them from 1).
///
/// The file is one line: `pid (comm) state ppid …`. `comm` is the executable's name as the
/// process set it, so it may hold spaces and parentheses (`(a b) c))`); the parser therefore
/// splits after the *last* `)` of the line, where the kernel's own fields begin.
struct ProcStat: Equatable {
    /// Field 14, `utime`: CPU time in user mode, in clock ticks (`sysconf(_SC_CLK_TCK)`).
    var userTicks: UInt64
    /// Field 15, `stime`: CPU time in kernel mode, in clock ticks.
    var systemTicks: UInt64
    /// Field 20, `num_threads`.
    var threads: UInt64
    /// Field 22, `starttime`: when the process started, in clock ticks after system boot.
    var startTicks: UInt64
    /// Field 23, `vsize`: virtual memory size in bytes.
    var virtualMemoryBytes: UInt64
    /// Field 24, `rss`: resident set size in pages.
    var residentPages: UInt64

    /// Parses the file's bytes; `nil` when there is no `(comm)` or a needed field is missing or
    /// not a decimal number. O(length of the line), no allocation.
    init?(parsing bytes: [UInt8]) {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close
        else { return nil }
        var user: UInt64?
        var system: UInt64?
        var threads: UInt64?
        var start: UInt64?
        var virtual: UInt64?
        var resident: UInt64?
        // Field 3 (`state`) is the first token after the `)`.
        var field = 3
        var index = close + 1
        while index < bytes.count && field <= 24 {
            while index < bytes.count && ProcText.isSpace(bytes[index]) { index += 1 }
            let tokenStart = index
            while index < bytes.count && !ProcText.isSpace(bytes[index]) { index += 1 }
            if tokenStart == index { break }
            let token = bytes[tokenStart..<index]
            switch field {
            case 14: user = ProcText.unsigned(token)
            case 15: system = ProcText.unsigned(token)
            case 20: threads = ProcText.unsigned(token)
            case 22: start = ProcText.unsigned(token)
            case 23: virtual = ProcText.unsigned(token)
            case 24: resident = ProcText.unsigned(token)
            default: break
            }
            field += 1
        }
        guard let user, let system, let threads, let start, let virtual, let resident else { return nil }
        self.userTicks = user
        self.systemTicks = system
        self.threads = threads
        self.startTicks = start
        self.virtualMemoryBytes = virtual
        self.residentPages = resident
    }
}

/// Parsers for the other `/proc` files ``ProcessMetrics`` reads. Each takes the file's bytes and
/// returns `nil` when what it looks for is absent or malformed.
enum ProcParsers {
    /// The `btime` line of `/proc/stat`: when the system booted, in seconds since the Unix epoch.
    /// O(file length).
    static func bootTime(_ bytes: [UInt8]) -> UInt64? {
        let prefix = Array("btime ".utf8)
        var bootTime: UInt64?
        ProcText.forEachLine(of: bytes[...]) { line in
            guard line.starts(with: prefix) else { return true }
            bootTime = ProcText.unsigned(ProcText.trimmed(line.dropFirst(prefix.count)))
            return false
        }
        return bootTime
    }

    /// `InOctets` and `OutOctets` of the `IpExt:` lines of `/proc/[pid]/net/netstat` (a line of
    /// names followed by a line of values): the IP-layer bytes received and sent by the whole
    /// network namespace. O(file length).
    static func ipOctets(_ bytes: [UInt8]) -> (received: UInt64, transmitted: UInt64)? {
        let prefix = Array("IpExt:".utf8)
        var names: [ArraySlice<UInt8>]?
        var octets: (received: UInt64, transmitted: UInt64)?
        ProcText.forEachLine(of: bytes[...]) { line in
            guard line.starts(with: prefix) else { return true }
            let tokens = line.dropFirst(prefix.count).split(whereSeparator: ProcText.isSpace)
            guard let header = names else {
                names = tokens
                return true
            }
            guard header.count == tokens.count else { return false }
            var received: UInt64?
            var transmitted: UInt64?
            for (name, value) in zip(header, tokens) {
                if name.elementsEqual("InOctets".utf8) { received = ProcText.unsigned(value) }
                if name.elementsEqual("OutOctets".utf8) { transmitted = ProcText.unsigned(value) }
            }
            if let received, let transmitted { octets = (received, transmitted) }
            return false
        }
        return octets
    }
}

/// The totals glibc's `malloc_info(3)` prints after its per-arena `<heap>` sections.
///
/// glibc documents the XML as subject to change; this reads version 1 (`<malloc version="1">`,
/// glibc 2.10 and later) and returns `nil` for anything else.
struct MallocTotals: Equatable {
    /// `<system type="current">`: bytes the arenas have obtained from the system (brk/sbrk and
    /// arena heaps), free or in use. Matches `mallinfo2().arena`.
    var arenaBytes: UInt64
    /// `<total type="mmap">`: bytes of chunks allocated directly with mmap (large blocks), all in
    /// use. Matches `mallinfo2().hblkhd`.
    var mmapBytes: UInt64
    /// `<total type="fast">` plus `<total type="rest">`: free bytes held in the arenas' fastbins,
    /// bins and top chunks. Matches `mallinfo2().fordblks`.
    var freeBytes: UInt64

    /// Everything malloc holds from the system: arenas plus direct mmaps.
    var systemBytes: UInt64 { arenaBytes &+ mmapBytes }
    /// What malloc holds minus what is free: live allocations with their chunk headers, and
    /// chunks cached in the per-thread caches (tcache), which glibc counts as in use.
    var inUseBytes: UInt64 { systemBytes >= freeBytes ? systemBytes - freeBytes : 0 }

    init(arenaBytes: UInt64, mmapBytes: UInt64, freeBytes: UInt64) {
        self.arenaBytes = arenaBytes
        self.mmapBytes = mmapBytes
        self.freeBytes = freeBytes
    }

    /// Parses `malloc_info(0, …)` output. O(output length).
    init?(parsingMallocInfo bytes: [UInt8]) {
        guard bytes.starts(with: "<malloc version=\"1\">".utf8) else { return nil }
        // The totals follow the last arena's `</heap>`.
        let end = Array("</heap>".utf8)
        var tailStart = 0
        var index = bytes.count - end.count
        while index >= 0 {
            if bytes[index] == end[0] && bytes[index..<index + end.count].elementsEqual(end) {
                tailStart = index + end.count
                break
            }
            index -= 1
        }
        guard tailStart > 0 else { return nil }
        var fast: UInt64?
        var rest: UInt64?
        var mmap: UInt64?
        var arena: UInt64?
        ProcText.forEachLine(of: bytes[tailStart...]) { line in
            let line = ProcText.trimmed(line)
            if line.starts(with: "<total type=\"fast\"".utf8) {
                fast = Self.sizeAttribute(line)
            } else if line.starts(with: "<total type=\"rest\"".utf8) {
                rest = Self.sizeAttribute(line)
            } else if line.starts(with: "<total type=\"mmap\"".utf8) {
                mmap = Self.sizeAttribute(line)
            } else if line.starts(with: "<system type=\"current\"".utf8) {
                arena = Self.sizeAttribute(line)
            }
            return true
        }
        guard let fast, let rest, let mmap, let arena else { return nil }
        let (free, overflow) = fast.addingReportingOverflow(rest)
        if overflow { return nil }
        self.init(arenaBytes: arena, mmapBytes: mmap, freeBytes: free)
    }

    /// The number in `size="…"` of one XML element.
    private static func sizeAttribute(_ line: ArraySlice<UInt8>) -> UInt64? {
        let key = Array(" size=\"".utf8)
        guard line.count > key.count else { return nil }
        var index = line.startIndex
        while index + key.count <= line.endIndex {
            if line[index..<index + key.count].elementsEqual(key) {
                let digits = line[(index + key.count)...].prefix { $0 != UInt8(ascii: "\"") }
                return ProcText.unsigned(digits)
            }
            index += 1
        }
        return nil
    }
}

/// Byte-level helpers for the `/proc` parsers.
enum ProcText {
    /// Space, tab, line feed or carriage return.
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    /// Calls `body` with each line of `bytes` (without its line feed) until it returns false.
    static func forEachLine(of bytes: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) -> Bool) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            if !body(bytes[start..<end]) { return }
            start = end + 1
        }
    }

    /// `bytes` without leading and trailing white space.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }

    /// A non-empty run of ASCII digits as an unsigned 64-bit number; `nil` for anything else,
    /// including a value above `UInt64.max`.
    static func unsigned(_ digits: some Collection<UInt8>) -> UInt64? {
        if digits.isEmpty { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}
