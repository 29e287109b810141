import AWSCore
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Values of credential files already read, each kept with the identity of the file it came from
/// (device, inode, size, mode, owner, modification and change times), so that a file that is
/// still the one that was read is not opened and read again for every task: one `lstat` instead
/// of an open, a stat, two reads and a close.
///
/// Any change made with `write(2)`, `rename(2)`, `chmod` or `chown` shows in the identity: a file
/// replaced by a rename is another inode, and a change in place sets the change time to the
/// current time. Three cases could hide a change, and are bounded:
/// - a second write within the same tick of the kernel's coarse clock as the read: a value is
///   kept only if the file had not changed for ``settledSeconds`` when it was read, so any later
///   change stamps a newer change time;
/// - a write through a shared `mmap` to an already dirty page (no new change time), and a network
///   file system answering `lstat` from its attribute cache: a value is read again once it is
///   ``maximumAgeSeconds`` old, whatever the file says;
/// - a wall clock set back: a value read "in the future" is read again at once.
final class CredentialFileCache: Sendable {
    /// How long a file must have been unchanged, when read, for its value to be kept.
    static let settledSeconds: TimeInterval = 2
    /// How long a value is kept at most before its file is read again.
    static let maximumAgeSeconds: TimeInterval = 60
    /// Files kept at most; a full cache forgets the one used least recently to keep another.
    static let maxEntries = 64

    /// What `lstat`/`fstat` say about a file, as far as its contents and their checks go.
    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mode: UInt32
        var owner: UInt32
        var modified: timespec
        var changed: timespec

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            mode = UInt32(info.st_mode)
            owner = UInt32(info.st_uid)
            modified = info.st_mtim
            changed = info.st_ctim
        }

        static func == (a: FileIdentity, b: FileIdentity) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size && a.mode == b.mode && a.owner == b.owner
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }

        /// The change time, in seconds since 1970.
        var changedAt: TimeInterval { TimeInterval(changed.tv_sec) + TimeInterval(changed.tv_nsec) / 1e9 }
    }

    private struct Entry {
        var identity: FileIdentity
        var value: String
        var readAt: Date
    }

    private struct State {
        var entries = RecentlyUsedCache<String, Entry>(capacity: CredentialFileCache.maxEntries)
        /// Values served from the cache (for tests).
        var hits = 0
    }

    private let state = Mutex(State())

    /// The value read from `path`, if the file is still the one it was read from and the value is
    /// not too old at `now`.
    /// (A miss leaves the entry; the caller ``forget(_:)``s it before reading the file again.)
    func value(at path: String, identity: FileIdentity, now: Date) -> String? {
        state.withLock { state in
            // A negative age is a wall clock set back: read again rather than trust the entry.
            guard let entry = state.entries.value(for: path), entry.identity == identity,
                (0..<Self.maximumAgeSeconds).contains(now.timeIntervalSince(entry.readAt))
            else { return nil }
            state.hits += 1
            return entry.value
        }
    }

    /// Keeps `value`, read at `readAt` from the file `identity` describes, if that file had settled.
    func keep(_ value: String, at path: String, identity: FileIdentity, readAt: Date) {
        guard readAt.timeIntervalSince1970 - identity.changedAt >= Self.settledSeconds else { return }
        state.withLock { state in
            _ = state.entries.store(Entry(identity: identity, value: value, readAt: readAt), for: path)
        }
    }

    /// Drops every value too old to be served at `now` (or read "in the future"), so a value
    /// nobody asks for again does not stay in memory: the daemon calls this every status round.
    func purgeExpired(now: Date) {
        state.withLock { state in
            state.entries.keepOnly { _, entry in
                (0..<Self.maximumAgeSeconds).contains(now.timeIntervalSince(entry.readAt))
            }
        }
    }

    /// Drops what was kept for `path` (its file is gone or cannot be used).
    func forget(_ path: String) {
        state.withLock { $0.entries.removeValue(for: path) }
    }

    /// Files whose values are kept, and values served from the cache (for tests).
    var counts: (kept: Int, hits: Int) { state.withLock { ($0.entries.count, $0.hits) } }
}
