import AbacusExposition

/// Turning messages into bytes: one JSON line each (``OpsEncoder``), checked as the gateway
/// would check them, packed into as few datagrams as fit.
enum OpsPacking {
    /// The largest UDP payload over IPv4 (65535 − 8 − 20).
    static let maxUDPPayload = 65_507

    /// One `\n`-terminated line per message. With `validate`, each line is decoded as the
    /// gateway decodes it first (and a value that is not finite, which JSON cannot carry, is
    /// refused), and the first that fails throws ``OpsSendError/Code/invalidMessage``.
    static func lines(
        _ messages: [OpsMessage], validate: Bool, limits: OpsLimits, endpoint: OpsEndpoint
    ) throws(OpsSendError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        lines.reserveCapacity(messages.count)
        for (index, message) in messages.enumerated() {
            if validate && !message.value.isFinite {
                // JSON has no infinities or NaN: the encoder writes null, which the gateway
                // would report as a missing value. Say what is wrong instead.
                let rejection = OpsRejection(.nonFiniteValue, "value \(message.value) is not finite")
                throw OpsSendError(.invalidMessage, endpoint: endpoint, rejection: rejection, messageIndex: index)
            }
            let line = OpsEncoder.encode(message)
            if validate {
                do {
                    _ = try OpsDecoder.decode(line.dropLast(), limits: limits)
                } catch {
                    throw OpsSendError(.invalidMessage, endpoint: endpoint, rejection: error, messageIndex: index)
                }
            }
            lines.append(line)
        }
        return lines
    }

    /// The lines packed in order into datagrams of at most `maxSize` bytes, each line whole; a
    /// line longer than `maxSize` travels alone. Throws ``OpsSendError/Code/messageTooLarge``
    /// for a line no datagram can carry. O(total bytes).
    static func datagrams(_ lines: [[UInt8]], maxSize: Int, endpoint: OpsEndpoint) throws(OpsSendError) -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        var current: [UInt8] = []
        for (index, line) in lines.enumerated() {
            guard line.count <= maxUDPPayload else {
                throw OpsSendError(.messageTooLarge, endpoint: endpoint, messageIndex: index)
            }
            if !current.isEmpty && current.count + line.count > maxSize {
                datagrams.append(current)
                current = []
            }
            current.append(contentsOf: line)
        }
        if !current.isEmpty { datagrams.append(current) }
        return datagrams
    }
}
