import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the gateway reads the time of day: push times, TTL deadlines, `--metric-ttl` and the
/// `--shutdown-delay` all come from it.
///
/// `.system` (the default) is the real clock. ``manual(_:)`` hands control to a
/// ``ManualGatewayClock``: time stands still until the caller moves it, so a test can say
/// "ten minutes later" without waiting and without depending on how fast the machine is.
/// The background loops keep their real-time pace (the expiry scan runs four times a second,
/// socket ops commit every `--ops.commit-interval`): they read this clock at each turn.
public struct GatewayClock: Sendable {
    private let manual: ManualGatewayClock?

    /// The real clock (`CLOCK_REALTIME`).
    public static let system = GatewayClock(manual: nil)

    /// A clock that moves only when `clock` is moved.
    public static func manual(_ clock: ManualGatewayClock) -> GatewayClock { GatewayClock(manual: clock) }

    private init(manual: ManualGatewayClock?) { self.manual = manual }

    /// Unix time in milliseconds.
    public func nowMs() -> Int64 {
        if let manual { return manual.nowMs }
        return Self.systemNowMs()
    }

    /// Waits until `milliseconds` have passed on this clock, or the task is cancelled (then it
    /// returns early, without throwing).
    public func sleep(milliseconds: Int64) async {
        guard milliseconds > 0 else { return }
        if let manual {
            await manual.sleep(untilMs: manual.nowMs + milliseconds)
        } else {
            try? await Task.sleep(for: .milliseconds(milliseconds))
        }
    }

    static func systemNowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A time of day that moves only when told to (``advance(byMs:)``): the gateway's clock in
/// tests. Sleepers on it (the shutdown delay) wake when it passes their deadline.
public final class ManualGatewayClock: Sendable {
    private struct State {
        var nowMs: Int64
        var nextID = 0
        var sleepers: [Int: (untilMs: Int64, continuation: CheckedContinuation<Void, Never>)] = [:]
    }
    private let state: Mutex<State>

    /// Starts at `nowMs` (Unix milliseconds; by default the real time now, so push times and
    /// deadlines look like ordinary ones).
    public init(nowMs: Int64? = nil) {
        state = Mutex(State(nowMs: nowMs ?? GatewayClock.systemNowMs()))
    }

    /// The current time, Unix milliseconds.
    public var nowMs: Int64 { state.withLock { $0.nowMs } }

    /// Moves the clock forward by `milliseconds` and wakes every sleeper whose time has come.
    public func advance(byMs milliseconds: Int64) {
        precondition(milliseconds >= 0, "a manual clock only moves forward")
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.nowMs += milliseconds
            let now = state.nowMs
            let due = state.sleepers.filter { $0.value.untilMs <= now }
            for id in due.keys { state.sleepers[id] = nil }
            return due.map(\.value.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// How many tasks sleep on this clock (e.g. a shutdown delay that has begun).
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    func sleep(untilMs deadline: Int64) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.nowMs >= deadline || Task.isCancelled { return true }
                    state.sleepers[id] = (deadline, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.sleepers.removeValue(forKey: id)?.continuation }
            continuation?.resume()
        }
    }
}
