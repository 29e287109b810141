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

    /// Allocations up to this size are kept as they are, for the next lines.
    static var keptCapacity: Int { 64 * 1024 }
}
