import CAbacusSpawn
public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A program the tests run: gateways, peers (Prometheus, the Pushgateway), examples, one-shot
/// tools. The only way tests start a process.
///
/// Started through `abacus_spawn` (the C target `CAbacusSpawn`): forked by one thread that
/// lives as long as the test process, with `PR_SET_PDEATHSIG`, so every child is killed when
/// the test process dies, however it dies; the child gets default signal handling and none of
/// the test process's descriptors. Foundation's `Process` is not used: in Swift 6.3.1 its
/// `run()` reads past each `/proc/self/fd` entry (swift-corelibs-foundation#5472) and kills
/// the whole test process once that directory is large.
///
/// Output goes to files, never to pipes (a full pipe would stall the child). Stopped by PID.
public final class ChildProcess: Sendable {
    /// The child's pid.
    public let processIdentifier: Int32
    /// What was started, for messages.
    public let name: String
    private let exit = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`.
    /// - Parameters:
    ///   - environment: added to (and overriding) the test process's environment.
    ///   - directory: the working directory (the test process's when `nil`).
    ///   - stdin: a file to read standard input from (`/dev/null` when `nil`).
    ///   - output: where standard output goes (`/dev/null` when `nil`); appended to.
    ///   - error: where standard error goes; `nil` means the same file as `output`.
    public init(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
        stdin: URL? = nil, output: URL? = nil, error: URL? = nil, append: Bool = true
    ) throws {
        name = executable.lastPathComponent
        var lines = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
            .map { "\($0.key)=\($0.value)" }
        lines.sort()
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = lines.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        let errorPath = error?.path ?? output?.path
        let pid = executable.path.withCString { path in
            withOptionalCString(directory?.path) { cwd in
                withOptionalCString(stdin?.path) { input in
                    withOptionalCString(output?.path) { out in
                        withOptionalCString(errorPath) { err in
                            abacus_spawn(path, argv, envp, cwd, input, out, err, append ? 1 : 0)
                        }
                    }
                }
            }
        }
        guard pid > 0 else {
            throw PeerError("cannot start \(executable.path): \(String(cString: strerror(-pid)))")
        }
        processIdentifier = pid
    }

    /// Whether the child still runs (it is reaped as soon as it is seen to have exited).
    public var isRunning: Bool { poll() == nil }

    /// The exit status (exit code, or the number of the signal that killed it), or `nil` while
    /// it runs.
    public var terminationStatus: Int32? { poll() }

    /// Sends `signal` (by PID; nothing when the child was already reaped).
    public func signal(_ signal: Int32) {
        exit.withLock { status in
            if status == nil { _ = kill(processIdentifier, signal) }
        }
    }

    /// Waits for the exit, up to `timeout` seconds (on a thread of its own, never on the
    /// cooperative pool); the status, or `nil` if it still runs then.
    public func waitForExit(timeout: TimeInterval) async -> Int32? {
        try? await RawSockets.offThread { self.waitSync(timeout: timeout) }
    }

    /// SIGTERM, up to `grace` seconds to exit, then SIGKILL; returns the status.
    @discardableResult
    public func stop(grace: TimeInterval = 20) async -> Int32 {
        (try? await RawSockets.offThread { self.stopSync(grace: grace) }) ?? -1
    }

    /// ``stop(grace:)`` on the calling thread.
    @discardableResult
    public func stopSync(grace: TimeInterval = 20) -> Int32 {
        signal(SIGTERM)
        if let status = waitSync(timeout: grace) { return status }
        return killSync()
    }

    /// SIGKILL and reap, on the calling thread.
    @discardableResult
    public func killSync() -> Int32 {
        signal(SIGKILL)
        while true {
            if let status = waitSync(timeout: 3600) { return status }
        }
    }

    /// Polls for the exit every 10 ms on the calling thread, up to `timeout` seconds.
    public func waitSync(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = poll() { return status }
            if Date() > deadline { return nil }
            usleep(10_000)
        }
    }

    private func poll() -> Int32? {
        exit.withLock { exit in
            if let exit { return exit }
            var status: Int32 = 0
            var waited: pid_t
            repeat {
                waited = waitpid(processIdentifier, &status, WNOHANG)
            } while waited < 0 && errno == EINTR
            if waited < 0 {
                exit = -1  // not our child any more (reaped elsewhere): nothing left to wait for
                return exit
            }
            guard waited == processIdentifier else { return nil }
            let signal = status & 0x7F
            exit = signal == 0 ? (status >> 8) & 0xFF : signal
            return exit
        }
    }

    deinit {
        if exit.withLock({ $0 }) == nil {
            _ = kill(processIdentifier, SIGKILL)
            var status: Int32 = 0
            while waitpid(processIdentifier, &status, 0) < 0 && errno == EINTR {}
        }
    }
}

private func withOptionalCString<T>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// How long tests wait for something that must happen: long enough that only an event that
/// never comes fails the test (a loaded 2-core machine running the suites in parallel can
/// stall a test for many seconds), never a statement about speed.
public enum Patience {
    /// 60 seconds.
    public static let seconds: Double = 60
}

/// Runs `body` and returns its result, or `nil` when it has not finished after `seconds`
/// (then it is cancelled): for waiting on an event that must come, with ``Patience``.
public func within<T: Sendable>(
    seconds: Double = Patience.seconds, _ body: @escaping @Sendable () async -> T
) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
