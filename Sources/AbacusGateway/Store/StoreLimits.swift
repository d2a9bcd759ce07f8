/// Every limit the store enforces, each with a command-line flag (``GatewayConfiguration``) and
/// a documented default. Over a limit, a push is refused with a status and a message that tell
/// the client what to do; nothing is stored. Together they bound the gateway's memory: the
/// largest request is `maxBodyBytes` (and `maxDecompressedBytes` once decoded) and the store
/// holds at most `maxSeries` sample lines in at most `maxGroups` groups.
public struct StoreLimits: Sendable, Equatable {
    /// Largest request body as sent (compressed or not), in bytes: over it, 413.
    public var maxBodyBytes: Int
    /// Largest body after `Content-Encoding` is undone, in bytes: over it, 413.
    public var maxDecompressedBytes: Int
    /// Most sample lines in one push (a histogram series with 10 buckets is 13 lines): over it, 413.
    public var maxSeriesPerPush: Int
    /// Most labels on one series, grouping labels included: over it, 400.
    public var maxLabelsPerSeries: Int
    /// Longest label value, in bytes (UTF-8): over it, 400.
    public var maxLabelValueBytes: Int
    /// Most groups stored: a push that would create one more gets 429.
    public var maxGroups: Int
    /// Most sample lines stored over all groups: a push that would exceed it gets 429.
    public var maxSeries: Int

    /// The defaults: 16 MiB bodies (64 MiB decoded), 100,000 lines per push, 64 labels of
    /// 4 KiB, 1,000,000 groups, 10,000,000 lines in all (≈ 1.5 GB of memory at most).
    public init(
        maxBodyBytes: Int = 16 << 20,
        maxDecompressedBytes: Int = 64 << 20,
        maxSeriesPerPush: Int = 100_000,
        maxLabelsPerSeries: Int = 64,
        maxLabelValueBytes: Int = 4096,
        maxGroups: Int = 1_000_000,
        maxSeries: Int = 10_000_000
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxDecompressedBytes = maxDecompressedBytes
        self.maxSeriesPerPush = maxSeriesPerPush
        self.maxLabelsPerSeries = maxLabelsPerSeries
        self.maxLabelValueBytes = maxLabelValueBytes
        self.maxGroups = maxGroups
        self.maxSeries = maxSeries
    }
}
