extension [UInt8] {
    /// Removes the first `count` bytes. A buffer left using a small part of its allocation (a
    /// large line or reply gone) moves what is left into one of its own size: `removeFirst` keeps
    /// the allocation, which the socket budget, counting bytes held, would not see.
    mutating func removeFront(_ count: Int) {
        let remaining = self.count - count
        if capacity > Self.keptCapacity, remaining * 4 < capacity {
            self = Array(self[count...])
        } else {
            removeFirst(count)
        }
    }

    /// Empties the buffer, keeping its allocation for the next line or answer only when small:
    /// left idle after a large one (one per peer, thousands of peers), it must not keep memory
    /// the budget, counting bytes held, never sees.
    mutating func empty() {
        removeAll(keepingCapacity: capacity <= Self.keptCapacity)
    }

    /// Allocations up to this size are kept as they are, for the next lines.
    static var keptCapacity: Int { 8 * 1024 }
}
