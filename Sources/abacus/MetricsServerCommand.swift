import AbacusGateway
import ArgumentParser
import Foundation

/// `abacus metrics-server`: the original Go metrics-server's command line, so a systemd unit, a
/// Kubernetes manifest or a cron script that runs the original runs the gateway by changing only
/// the binary name. Its flags are read as Go's `flag` package reads them (`-name value`,
/// `-name=value`, `--name`, booleans as `-debug` or `-debug=false`), mapped onto `abacus
/// gateway` (``MetricsServerFlags/gatewayArguments()``), and the gateway runs with them: the
/// same engine, store and HTTP API, `/metrics` included, on `-socket`.
///
/// Gateway flags (`--storage.path=…`) may be given beside them. A flag of the original whose
/// feature the gateway does not have yet is refused at start, never ignored.
struct MetricsServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics-server",
        abstract: "Run the gateway with the original metrics-server's command line (-socket, -uds, -udp, …).",
        discussion: """
            Flags are read as Go reads them (-name value, -name=value, --name; -debug or \
            -debug=false). Each becomes a gateway flag; gateway flags (--storage.path=…) may be \
            given too, as --name=value.

              original flag                  default                 abacus gateway
              -socket ADDR                   :9099                   --web.listen-address (the whole HTTP API, /metrics included; /health too)
              -uds PATH                      ./metric-server.sock    --ops.unix-socket
              -uds-pool A,B                                          --ops.extra-unix-sockets
              -udp ADDR                      :9999                   --ops.udp-listen-address ("" turns UDP off)
              -extra-labels K:V,…                                    --extra-labels
              -extra-labels-file-path PATH                           --extra-labels-file
              -metric-ttl DURATION           24h                     --metric-ttl, with -metric-clean-up only
              -metric-clean-up               false                   (turns -metric-ttl on)
              -shutdown-delay DURATION       0s                      --shutdown-delay
              -debug                         false                   --log.level=debug
              (always)                                               --ops.enable-shutdown (the shutdown op, over UDP from loopback only)
              -remote, -loki-*, -opensearch-*, -scylladb-*, -pyroscope-url: refused at start (not in abacus yet)

            Durations are Go's (1h30m, 1.5h, 300ms). Storage is the gateway's (a SQLite file under \
            ./abacus-data; --storage.path=:memory: for none). Socket files get mode 0660, not the \
            original's 0777: --ops.unix-socket-mode=0777 if other users' processes write to them. \
            See docs/ops.md.
            """
    )

    @Argument(parsing: .allUnrecognized, help: "The original's flags, and gateway flags as --name=value.")
    var arguments: [String] = []

    func run() async throws {
        try await Self.run(arguments)
    }

    /// Parses `arguments` as the original did and runs the gateway; exits 2 (as Go's `flag`
    /// does) with a message for a flag it cannot take.
    static func run(_ arguments: [String]) async throws {
        let flags: MetricsServerFlags
        do {
            flags = try MetricsServerFlags(parsing: arguments)
        } catch {
            if error.isHelp {
                print(helpMessage())
                throw ExitCode.success
            }
            FileHandle.standardError.write(Data("abacus metrics-server: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let gateway: GatewayCommand
        do {
            gateway = try GatewayCommand.parse(flags.gatewayArguments())
        } catch {
            GatewayCommand.exit(withError: error)
        }
        try await gateway.run()
    }
}
