import AbacusExposition

/// Durations as Prometheus writes them: `1h30m`, `90s`, `500ms`, `2d`, `1w`, `1y`; a bare
/// number is seconds. `0` means none.
public enum PrometheusDuration {
    /// The duration in milliseconds, or `nil` when `text` is not one. O(length).
    public static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let seconds = Int64(text), seconds <= Int64.max / 1000 else { return nil }
            return seconds * 1000
        }
        let units: [(String, Int64)] = [
            ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000),
            ("y", 31_536_000_000),
        ]
        var total: Int64 = 0
        var index = 0
        var lastUnit = -1
        while index < bytes.count {
            var number: Int64 = 0
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let (times, o1) = number.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
                guard !o1, !o2 else { return nil }
                number = plus
                index += 1
            }
            guard index > start else { return nil }
            // Longest unit first: "ms" before "m".
            var matched: Int?
            for (position, unit) in units.enumerated() {
                let unitBytes = Array(unit.0.utf8)
                if index + unitBytes.count <= bytes.count, Array(bytes[index..<(index + unitBytes.count)]) == unitBytes,
                    matched.map({ units[$0].0.count < unitBytes.count }) ?? true
                {
                    matched = position
                }
            }
            guard let matched else { return nil }
            // Units must go from largest to smallest: 1h30m, not 30m1h.
            let order = matched  // units are listed smallest first
            guard lastUnit == -1 || order < lastUnit else { return nil }
            lastUnit = order
            index += units[matched].0.utf8.count
            let (product, o3) = number.multipliedReportingOverflow(by: units[matched].1)
            let (sum, o4) = total.addingReportingOverflow(product)
            guard !o3, !o4 else { return nil }
            total = sum
        }
        return total
    }
}
