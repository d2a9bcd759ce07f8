import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The test kit's one way of starting programs: what every child of the test process gets.
@Suite("Test kit: child processes")
struct ChildProcessTests {
    /// The child's own view of itself, read from `/proc/self/status` and `/proc/self/fd` by
    /// programs that change neither (grep, ls).
    @Test("no descriptor of the test process, default signal handling, an empty signal mask")
    func aCleanChild() async throws {
        // A descriptor the test process holds open: the child must not see it.
        let directory = try Peers.temporaryDirectory("child")
        defer { try? FileManager.default.removeItem(at: directory) }
        let held = open(directory.appendingPathComponent("held").path, O_CREAT | O_RDWR, 0o644)
        #expect(held > 2)
        defer { close(held) }

        // ls lists its own directory descriptor too: 0, 1, 2 and that one.
        let fds = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/ls"), ["/proc/self/fd"])
        #expect(fds.status == 0)
        #expect(fds.stdoutText.split(separator: "\n").count == 4, "descriptors: \(fds.stdoutText)")

        let status = try await ProcessRunner.run(
            URL(fileURLWithPath: "/bin/grep"), ["-E", "^Sig(Blk|Ign):", "/proc/self/status"])
        var masks: [String: UInt64] = [:]
        for line in status.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2 { masks[String(parts[0])] = UInt64(parts[1], radix: 16) }
        }
        #expect(masks["SigBlk:"] == 0, "\(status.stdoutText)")
        // Signals 32 and 33 (bits 31 and 32) belong to glibc's threads, which refuses to
        // change them; every other signal has its default action.
        let glibcReserved: UInt64 = 0b11 << 31
        #expect(masks["SigIgn:"].map { $0 & ~glibcReserved } == 0, "\(status.stdoutText)")
    }

    /// `PR_SET_PDEATHSIG` survives `execve`, so the child can read it back with `prctl`
    /// (`PR_GET_PDEATHSIG` is 2): SIGKILL (9) when the test process dies.
    @Test("killed with the test process: PR_SET_PDEATHSIG is SIGKILL")
    func diesWithTheTestProcess() async throws {
        guard let python = Peers.executable("python3") else {
            Issue.record("python3 is not installed")
            return
        }
        let script = """
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            signal = ctypes.c_int(0)
            assert libc.prctl(2, ctypes.byref(signal), 0, 0, 0) == 0
            print(signal.value)
            """
        let output = try await ProcessRunner.run(python, ["-c", script])
        #expect(output.status == 0, "\(output.stderrText)")
        #expect(output.stdoutText == "9\n")
    }

    /// Exit codes and signals as `Process` reported them, a stop by PID, and a program that
    /// cannot be started.
    @Test("exit status, SIGTERM then SIGKILL, and a missing program")
    func statusAndStop() async throws {
        let shell = URL(fileURLWithPath: "/bin/sh")
        #expect(try await ProcessRunner.run(shell, ["-c", "exit 3"]).status == 3)
        let sleeper = try ChildProcess(shell, ["-c", "exec sleep 600"])
        #expect(sleeper.isRunning)
        #expect(await sleeper.stop(grace: 30) == SIGTERM)
        #expect(!sleeper.isRunning)
        // A program that ignores SIGTERM is killed after the grace period (once it has said
        // that it ignores it).
        let directory = try Peers.temporaryDirectory("stubborn")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ready = directory.appendingPathComponent("ready").path
        let stubborn = try ChildProcess(shell, ["-c", "trap '' TERM; : > '\(ready)'; while :; do sleep 1; done"])
        let deadline = Date().addingTimeInterval(Patience.seconds)
        while !FileManager.default.fileExists(atPath: ready), Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await stubborn.stop(grace: 0.5) == SIGKILL)
        #expect(throws: PeerError.self) {
            try ChildProcess(URL(fileURLWithPath: "/nonexistent/program"), [])
        }
    }
}
