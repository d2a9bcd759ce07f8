/// The transports JSON-lines ops arrive on (the `transport` label of `abacus_ingest_*`).
public enum IngestTransport: String, Sendable, CaseIterable {
    case udp, unix, tcp, http
}
