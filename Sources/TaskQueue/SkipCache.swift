import JSON

/// Remembers task files this delegate chose not to run, by name and fingerprint, in bounded memory.
///
/// An unchanged skipped file is not read again on rescan; a replaced or modified one is (its
/// fingerprint differs). When full, a new entry is not kept: the files beyond the capacity are
/// read again at each pass, and no more. (Forgetting an entry to make room, for the rescan that
/// walks the same names in the same order every pass, forgot one about to be needed: almost
/// every skipped file was read again.) Room comes back as skipped files go (``endPass()``).
struct SkipCache {
    private struct Entry {
        var fingerprint: FileFingerprint
        var generation: UInt64
    }

    let capacity: Int
    /// By name as the directory holds it (bytes, not Swift's canonical equivalence).
    private var entries: [JSONKey: Entry] = [:]
    private(set) var generation: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
    }

    var count: Int { entries.count }

    func fingerprint(of name: String) -> FileFingerprint? {
        entries[JSONKey(name)]?.fingerprint
    }

    mutating func insert(_ name: String, fingerprint: FileFingerprint) {
        let name = JSONKey(name)
        guard entries[name] != nil || entries.count < capacity else { return }
        entries[name] = Entry(fingerprint: fingerprint, generation: generation)
    }

    mutating func remove(_ name: String) {
        entries[JSONKey(name)] = nil
    }

    /// Forgets every entry (what made them skipped changed).
    mutating func removeAll() {
        entries.removeAll()
    }

    /// Marks `name` as still present in the current rescan pass.
    mutating func touch(_ name: String) {
        entries[JSONKey(name)]?.generation = generation
    }

    /// Starts a rescan pass.
    mutating func beginPass() {
        generation &+= 1
    }

    /// Ends a complete rescan pass: entries not seen in it name files that are gone.
    mutating func endPass() {
        let current = generation
        entries = entries.filter { $0.value.generation == current }
    }
}
