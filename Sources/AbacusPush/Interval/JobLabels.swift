public import AbacusExposition

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The labels that tell runs of a workload apart, added to every series an
/// ``IntervalPusher`` sends: `job`, a `job_uuid` generated per run, `job_type` and `agent`.
///
/// ```swift
/// let job = JobLabels(job: "workload 1", jobType: "write")
/// // job.labels: job="workload 1", job_uuid="1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b",
/// //             job_type="write", agent="<host name>"
/// ```
public struct JobLabels: Sendable, Hashable {
    /// The workload's name (`job`).
    public var job: String
    /// This run's identifier (`job_uuid`), a random UUID unless given.
    public var jobUUID: String
    /// The kind of work (`job_type`), e.g. `write` or `read`.
    public var jobType: String
    /// What runs it (`agent`), the host name unless given.
    public var agent: String

    /// Labels for one run; `jobUUID` defaults to a new random UUID, `agent` to the host name.
    public init(
        job: String, jobType: String, agent: String = JobLabels.hostName, jobUUID: String = JobLabels.makeUUID()
    ) {
        self.job = job
        self.jobUUID = jobUUID
        self.jobType = jobType
        self.agent = agent
    }

    /// `job`, `job_uuid`, `job_type`, `agent`, in that order.
    public var labels: [Label] {
        [Label("job", job), Label("job_uuid", jobUUID), Label("job_type", jobType), Label("agent", agent)]
    }

    /// This machine's host name (`gethostname`), `unknown` when it has none.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return bytes.isEmpty ? "unknown" : String(decoding: bytes, as: UTF8.self)
    }

    /// A random (version 4) UUID in lower case, e.g. `1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b`.
    public static func makeUUID() -> String {
        var generator = SystemRandomNumberGenerator()
        return makeUUID(using: &generator)
    }

    /// A version 4 UUID from `generator`'s bytes (deterministic with a seeded generator).
    public static func makeUUID(using generator: inout some RandomNumberGenerator) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // variant 10 (RFC 9562)
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
