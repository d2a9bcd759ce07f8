import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DurabilityTests {
    /// The Unix socket files of `--ops.unix-socket` (and its pool) with the built `abacus`
    /// executable: a stale file is replaced, a live one or a file that is not a socket stops
    /// the start (and is left alone), modes, removal at exit.
    @Suite("Ops socket files (the abacus executable)")
    struct OpsSocketFileTests {
        /// A stale socket file at the main and at a pool path (bound by this process, closed,
        /// not unlinked: nothing accepts on it) is replaced at start: the gateway starts, both
        /// paths accept and take ops, with mode 0660; SIGTERM removes them.
        @Test(.timeLimit(.minutes(5)))
        func staleSocketFilesAreReplaced() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("ops.sock").path
            let pooled = gateway.directory.appendingPathComponent("ops-2.sock").path
            for path in [socket, pooled] {
                try ProcOps.Listener(path: path).closeLeavingFile()
                #expect(ProcOps.isSocketFile(path) && !ProcOps.accepts(path), "\(path) is a stale socket file")
            }
            try await gateway.start(arguments: ["--ops.unix-socket=\(socket)", "--ops.unix-socket-pool=2"])
            for (index, path) in [socket, pooled].enumerated() {
                #expect(ProcOps.accepts(path), "\(path) accepts after the start")
                #expect(ProcOps.permissions(path) == 0o660, "mode of \(path)")
                try await ProcOps.sendUnix(
                    path, #"{"name":"ops_stale_total","labels":{"n":"\#(index)"},"op":"inc","value":1}"#)
            }
            try await ProcOps.waitForValues(
                [#"ops_stale_total{n="0"}"#: 1, #"ops_stale_total{n="1"}"#: 1], in: gateway, timeout: Patience.seconds)
            #expect(await gateway.stop() == 0)
            for path in [socket, pooled] {
                #expect(!FileManager.default.fileExists(atPath: path), "\(path) is removed at exit")
            }
        }

        /// A socket file another process listens on (here: this test process) stops the start:
        /// exit status non-zero, the log names the path and says it is in use; the file is not
        /// removed and the other listener still accepts on it.
        @Test(.timeLimit(.minutes(5)))
        func aLiveListenerAtThePathStopsTheStart() async throws {
            let directory = try Peers.temporaryDirectory("ops-live")
            defer { try? FileManager.default.removeItem(at: directory) }
            let socket = directory.appendingPathComponent("ops.sock").path
            let listener = try ProcOps.Listener(path: socket)
            defer { listener.closeAndUnlink() }

            let run = try await ProcOps.runRefused(["--ops.unix-socket=\(socket)"], directory: directory)
            #expect(run.status != 0, "the gateway started on a path another process listens on:\n\(run.output)")
            #expect(run.output.contains("\(socket) is in use by another process"), "\(run.output)")
            #expect(ProcOps.isSocketFile(socket), "the live socket file was removed")
            #expect(ProcOps.accepts(socket), "the other listener no longer accepts")
        }

        /// A live listener that accepts nothing and whose accept queue is full (a hung server)
        /// is still a live listener: the start fails within seconds (non-zero, "in use") and
        /// leaves its file alone; it must neither hang nor take the path over.
        @Test(.timeLimit(.minutes(5)))
        func aHungListenerWithAFullAcceptQueueStopsTheStart() async throws {
            let directory = try Peers.temporaryDirectory("ops-hung")
            defer { try? FileManager.default.removeItem(at: directory) }
            let socket = directory.appendingPathComponent("ops.sock").path
            let listener = try ProcOps.Listener(path: socket, backlog: 0)
            defer { listener.closeAndUnlink() }
            let clients = try listener.fillAcceptQueue()
            defer { for client in clients { close(client) } }

            do {
                let run = try await ProcOps.runRefused(
                    ["--ops.unix-socket=\(socket)"], directory: directory, timeout: Patience.seconds)
                #expect(run.status != 0, "the gateway started on the path of a hung listener:\n\(run.output)")
                #expect(run.output.contains("\(socket) is in use by another process"), "\(run.output)")
            } catch {
                Issue.record(
                    """
                    the gateway neither started nor failed within 20 s on the path of a listener whose accept \
                    queue is full (it hangs probing the socket): \(error)
                    """)
            }
            #expect(ProcOps.isSocketFile(socket), "the hung listener's socket file was removed")
        }

        /// A second gateway on the Unix socket path of a running one fails to start (non-zero,
        /// "in use" in its log) and leaves the first one's socket alone: the file is still
        /// there and the first gateway still takes ops through it.
        @Test(.timeLimit(.minutes(5)))
        func aSecondGatewayOnTheSamePathFailsAndLeavesTheFirstAlone() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("ops.sock").path
            try await gateway.start(arguments: ["--ops.unix-socket=\(socket)"])
            try await ProcOps.sendUnix(socket, #"{"name":"ops_first_total","op":"inc","value":1}"#)
            try await ProcOps.waitForValues(["ops_first_total": 1], in: gateway, timeout: Patience.seconds)

            let other = try Peers.temporaryDirectory("ops-second")
            defer { try? FileManager.default.removeItem(at: other) }
            let run = try await ProcOps.runRefused(["--ops.unix-socket=\(socket)"], directory: other)
            #expect(run.status != 0, "a second gateway started on the same socket path:\n\(run.output)")
            #expect(run.output.contains("\(socket) is in use by another process"), "\(run.output)")

            #expect(ProcOps.isSocketFile(socket), "the first gateway's socket file was removed")
            try await ProcOps.sendUnix(socket, #"{"name":"ops_first_total","op":"inc","value":1}"#)
            try await ProcOps.waitForValues(["ops_first_total": 2], in: gateway, timeout: Patience.seconds)
            #expect(await gateway.stop() == 0)
            #expect(!FileManager.default.fileExists(atPath: socket))
        }

        /// A regular file at the socket path is not deleted and stops the start (non-zero,
        /// "exists and is not a socket"). The same for a regular file at a pool path: the main
        /// socket, bound before the pool, is not left behind.
        @Test(.timeLimit(.minutes(5)))
        func aRegularFileAtThePathIsKeptAndStopsTheStart() async throws {
            let directory = try Peers.temporaryDirectory("ops-file")
            defer { try? FileManager.default.removeItem(at: directory) }
            let socket = directory.appendingPathComponent("ops.sock").path
            let contents = "precious data, not a socket\n"
            try contents.write(toFile: socket, atomically: false, encoding: .utf8)

            let run = try await ProcOps.runRefused(["--ops.unix-socket=\(socket)"], directory: directory)
            #expect(run.status != 0, "the gateway started over a regular file:\n\(run.output)")
            #expect(run.output.contains("\(socket) exists and is not a socket"), "\(run.output)")
            #expect((try? String(contentsOfFile: socket, encoding: .utf8)) == contents, "the regular file was changed")

            // The file at the first pool path; the main path is free.
            let main = directory.appendingPathComponent("main.sock").path
            let pooled = directory.appendingPathComponent("main-1.sock").path
            try contents.write(toFile: pooled, atomically: false, encoding: .utf8)
            let pool = try await ProcOps.runRefused(
                ["--ops.unix-socket=\(main)", "--ops.unix-socket-pool=2"], directory: directory)
            #expect(pool.status != 0, "the gateway started over a regular file at a pool path:\n\(pool.output)")
            #expect(pool.output.contains("\(pooled) exists and is not a socket"), "\(pool.output)")
            #expect((try? String(contentsOfFile: pooled, encoding: .utf8)) == contents)
            #expect(!FileManager.default.fileExists(atPath: main), "the main socket file was left behind")
        }

        /// The default mode of every socket file (main and a pool of 3: `<stem>-1<ext>` …) is
        /// 0660; every one accepts and its ops are counted (`transport="unix"`); SIGTERM
        /// removes them all. `--ops.unix-socket-mode=0600` gives 0600. A mode that is not octal
        /// permissions refuses to start.
        @Test(.timeLimit(.minutes(5)))
        func socketModesAndThePool() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("pool.sock").path
            let paths = [socket] + (1...3).map { gateway.directory.appendingPathComponent("pool-\($0).sock").path }
            try await gateway.start(arguments: ["--ops.unix-socket=\(socket)", "--ops.unix-socket-pool=3"])
            for (index, path) in paths.enumerated() {
                #expect(ProcOps.isSocketFile(path), "\(path) exists")
                #expect(
                    ProcOps.permissions(path) == 0o660,
                    "default mode of \(path): \(ProcOps.permissions(path).map { String($0, radix: 8) } ?? "none")")
                try await ProcOps.sendUnix(
                    path, #"{"name":"ops_pool_total","labels":{"socket":"\#(index)"},"op":"inc","value":1}"#)
            }
            var expected: [String: Double] = [#"abacus_ingest_messages_total{op="inc",transport="unix"}"#: 4]
            for index in paths.indices { expected[#"ops_pool_total{socket="\#(index)"}"#] = 1 }
            try await ProcOps.waitForValues(expected, in: gateway, timeout: Patience.seconds)
            #expect(await gateway.stop() == 0)
            for path in paths { #expect(!FileManager.default.fileExists(atPath: path), "\(path) is removed at exit") }

            try await gateway.start(arguments: [
                "--ops.unix-socket=\(socket)", "--ops.unix-socket-pool=1", "--ops.unix-socket-mode=0600",
            ])
            for path in paths.prefix(2) {
                #expect(ProcOps.permissions(path) == 0o600, "mode of \(path) with --ops.unix-socket-mode=0600")
                #expect(ProcOps.accepts(path))
            }
            #expect(!FileManager.default.fileExists(atPath: paths[2]), "a pool of 1 has one further socket")
            #expect(await gateway.stop() == 0)

            for mode in ["0999", "rw-rw----", "01777"] {
                let run = try await ProcOps.runRefused(
                    ["--ops.unix-socket=\(socket)", "--ops.unix-socket-mode=\(mode)"], directory: gateway.directory)
                #expect(run.status != 0, "--ops.unix-socket-mode=\(mode) was accepted")
                #expect(run.output.contains("--ops.unix-socket-mode"), "\(run.output)")
            }
            #expect(!FileManager.default.fileExists(atPath: socket))
        }
    }

    /// `--extra-labels`, `--extra-labels-file` and `--extra-labels.source-app` with the built
    /// `abacus` executable (docs/ops.md: the original server's extra labels).
    @Suite("Ops extra labels (the abacus executable)")
    struct OpsExtraLabelsTests {
        /// The flag (`app:demo,url:http://x:1`: a value with colons), a properties file with
        /// comments (`#`, `!`), blank lines, CRLF line endings, blanks around `=` and a value
        /// with `=`, and `--extra-labels.source-app=cron`: an aggregated counter without labels
        /// gets every one; a series' own label of the same name wins; histogram buckets get
        /// them before `le`; HTTP ops too. The flag wins over the file for a name in both.
        /// After a restart with the same flags the series are the same ones (an `inc` goes on
        /// from the restored value, no duplicate).
        @Test(.timeLimit(.minutes(5)))
        func extraLabelsFromTheFlagAndTheFile() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("xl.sock").path
            let file = gateway.directory.appendingPathComponent("labels.properties")
            // As the original reads such a file: a line without `=` is skipped, and `"` is
            // removed from values (env="prod" is env=prod).
            let properties =
                "# extra labels\r\n! also a comment\r\n\r\n   \r\n[labels]\r\nteam = core\r\n  env=\"prod\"  \r\n"
                + "query=a=b&c\r\napp=fromfile"
            try Data(properties.utf8).write(to: file)
            let arguments = [
                "--ops.unix-socket=\(socket)", "--extra-labels=app:demo,url:http://x:1",
                "--extra-labels-file=\(file.path)", "--extra-labels.source-app=cron",
            ]
            try await gateway.start(arguments: arguments)
            let extra =
                #"app="demo",data_source="metrics-server",env="prod",query="a=b&c",source_app="cron",team="core",url="http://x:1""#
            try await ProcOps.sendUnix(
                socket,
                #"{"name":"ops_xl_total","op":"inc","value":1}"# + "\n"
                    + #"{"name":"ops_xl_own","labels":{"team":"mine","zone":"z"},"op":"set","value":2}"# + "\n"
                    + #"{"name":"ops_xl_seconds","op":"obs","value":0.5,"bucket_custom":[1]}"# + "\n")
            let reply = try await Client.request(
                "POST", gateway.baseURL + "/api/v1/ops",
                body: Array(#"{"name":"ops_xl_http","op":"set","value":3}"#.utf8))
            #expect(reply.status == 200, "\(reply.text)")
            let ownLabels =
                #"app="demo",data_source="metrics-server",env="prod",query="a=b&c",source_app="cron",team="mine",url="http://x:1",zone="z""#
            try await ProcOps.waitForValues(
                [
                    "ops_xl_total{\(extra)}": 1, "ops_xl_own{\(ownLabels)}": 2,
                    #"ops_xl_seconds_bucket{\#(extra),le="1"}"#: 1, #"ops_xl_seconds_bucket{\#(extra),le="+Inf"}"#: 1,
                    "ops_xl_seconds_count{\(extra)}": 1, "ops_xl_http{\(extra)}": 3,
                ], in: gateway, timeout: Patience.seconds)
            let text = try await Client.metrics(gateway)
            let totals = text.split(separator: "\n").filter { $0.hasPrefix("ops_xl_total") }
            #expect(totals.count == 1, "\(totals)")
            #expect(!text.contains(#"app="fromfile""#), "the flag wins over the file")

            #expect(await gateway.stop() == 0)
            try await gateway.start(arguments: arguments)
            try await ProcOps.sendUnix(socket, #"{"name":"ops_xl_total","op":"inc","value":1}"#)
            try await ProcOps.waitForValues(["ops_xl_total{\(extra)}": 2], in: gateway, timeout: Patience.seconds)
            let again = try await Client.metrics(gateway).split(separator: "\n").filter { $0.hasPrefix("ops_xl_total") }
            #expect(again == ["ops_xl_total{\(extra)} 2"], "after the restart: \(again)")
            #expect(await gateway.stop() == 0)
        }

        /// An invalid extra label in the flag or in the file makes the gateway refuse to start:
        /// exit status non-zero, and the message names the flag and the problem.
        @Test(.timeLimit(.minutes(5)))
        func invalidExtraLabelsRefuseToStart() async throws {
            let directory = try Peers.temporaryDirectory("ops-labels")
            defer { try? FileManager.default.removeItem(at: directory) }
            func file(_ name: String, _ text: String) throws -> String {
                let url = directory.appendingPathComponent(name)
                try Data(text.utf8).write(to: url)
                return url.path
            }
            let badName = try file("bad-name.properties", "# labels\r\n\r\nteam=core\r\n9x=1\r\n")
            let cases: [(arguments: [String], says: [String])] = [
                (["--extra-labels=app:demo,1bad:x"], ["--extra-labels", #""1bad" is not a valid label name"#]),
                (["--extra-labels=app-name:x"], ["--extra-labels", #""app-name" is not a valid label name"#]),
                (["--extra-labels=app"], ["--extra-labels", #""app" is not name:value"#]),
                (["--extra-labels=le:1"], ["--extra-labels", "le is reserved"]),
                (["--extra-labels-file=\(badName)"], ["--extra-labels-file", #""9x" is not a valid label name"#]),
                (
                    ["--extra-labels-file=\(directory.appendingPathComponent("missing.properties").path)"],
                    ["--extra-labels-file", "cannot read"]
                ),
            ]
            for (arguments, says) in cases {
                let run = try await ProcOps.runRefused(arguments, directory: directory)
                #expect(run.status != 0, "\(arguments) was accepted:\n\(run.output)")
                for piece in says {
                    #expect(
                        run.output.contains(piece), "\(arguments): the message does not say \(piece):\n\(run.output)")
                }
                #expect(!run.output.contains("msg=listening"), "\(arguments): the gateway listened before refusing")
            }
        }
    }
}
