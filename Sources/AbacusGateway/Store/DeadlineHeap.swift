import AbacusExposition

/// Group deadlines, earliest first: a binary min-heap. An entry whose group was deleted or got
/// another deadline since is skipped when it comes out (the store compares deadlines), so a
/// push costs O(log n) here and nothing is searched.
struct DeadlineHeap {
    struct Entry {
        var deadlineMs: Int64
        var key: GroupingKey
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }

    func peek() -> Entry? { entries.first }

    mutating func push(_ deadlineMs: Int64, _ key: GroupingKey) {
        entries.append(Entry(deadlineMs: deadlineMs, key: key))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadlineMs < entries[parent].deadlineMs else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].deadlineMs < entries[smallest].deadlineMs { smallest = left }
            if right < entries.count, entries[right].deadlineMs < entries[smallest].deadlineMs { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
