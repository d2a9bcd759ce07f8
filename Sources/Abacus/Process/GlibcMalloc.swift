#if os(Linux) && canImport(Glibc)
    import Glibc

    /// glibc's allocator figures, through `malloc_info(3)`.
    ///
    /// `mallinfo2()` would be the cheaper call, but Swift's `Glibc` module does not import
    /// `<malloc.h>`, and without `struct mallinfo2` a pointer to the function cannot be given a
    /// type Swift can call (that needs a C target). `malloc_info` takes an `int` and a `FILE *`,
    /// so it can be looked up with `dlsym` and called: it writes a small XML report, here into
    /// an `open_memstream` buffer, whose totals are the same figures (see ``MallocTotals``).
    enum GlibcMalloc {
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32

        /// The address of glibc's `malloc_info`, or `nil` when the process's `malloc` is not
        /// glibc's (another allocator linked in or preloaded) or glibc is not loaded as
        /// `libc.so.6`. Looked up once.
        static let mallocInfoAddress: UInt? = {
            guard let libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY) else { return nil }
            // libc stays loaded for the life of the process; this only balances the dlopen.
            defer { dlclose(libc) }
            guard let glibcMalloc = dlsym(libc, "malloc"), dlsym(nil, "malloc") == glibcMalloc,
                let info = dlsym(libc, "malloc_info")
            else { return nil }
            return UInt(bitPattern: info)
        }()

        /// The totals of every arena, or `nil` when malloc is not glibc's or the report cannot be
        /// read. See ``ProcessMetrics/collect()`` for the cost.
        static func totals() -> MallocTotals? {
            guard let address = mallocInfoAddress, let pointer = UnsafeRawPointer(bitPattern: address) else {
                return nil
            }
            let mallocInfo = unsafeBitCast(pointer, to: MallocInfo.self)
            // open_memstream keeps these two addresses and updates them on flush and close, so
            // they must outlive the stream: no `&local` temporaries.
            let buffer = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 1)
            let size = UnsafeMutablePointer<Int>.allocate(capacity: 1)
            buffer.initialize(to: nil)
            size.initialize(to: 0)
            defer {
                free(buffer.pointee)
                buffer.deallocate()
                size.deallocate()
            }
            guard let stream = open_memstream(buffer, size) else { return nil }
            let status = mallocInfo(0, stream)
            guard fclose(stream) == 0, status == 0, let text = buffer.pointee else { return nil }
            let bytes = text.withMemoryRebound(to: UInt8.self, capacity: size.pointee) {
                Array(UnsafeBufferPointer(start: $0, count: size.pointee))
            }
            return MallocTotals(parsingMallocInfo: bytes)
        }
    }
#endif
