import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Values of credential files already read, each kept with the identity of the file it came from
/// (device, inode, size, mode, owner, modification and change times), so that a file that is
/// still the one that was read is not opened and read again for every task: one `lstat` instead
/// of an open, a stat, two reads and a close.
///
/// Any change to the file shows in its identity: a file replaced by a rename is another inode,
/// and a write, `chmod` or `chown` in place sets the change time to the current time. The one
/// change that could hide is a second write within the same tick of the kernel's coarse clock as
/// the read. So a value is kept only if the file had not changed for ``settledSeconds`` when it
/// was read; any later change then stamps a newer change time. (A wall clock set back by more than
/// that could hide a change; the file is read again at the next reload, which starts a new cache.)
final class CredentialFileCache: Sendable {
    /// How long a file must have been unchanged, when read, for its value to be kept.
    static let settledSeconds: TimeInterval = 2
    /// Files kept at most; a full cache forgets one file to keep another.
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
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The value read from `path`, if the file is still the one it was read from.
    func value(at path: String, identity: FileIdentity) -> String? {
        entries.withLock { entries in
            guard let entry = entries[path] else { return nil }
            guard entry.identity == identity else {
                entries.removeValue(forKey: path)
                return nil
            }
            return entry.value
        }
    }

    /// Keeps `value`, read at `readAt` from the file `identity` describes, if that file had settled.
    func keep(_ value: String, at path: String, identity: FileIdentity, readAt: Date) {
        guard readAt.timeIntervalSince1970 - identity.changedAt >= Self.settledSeconds else { return }
        entries.withLock { entries in
            if entries[path] == nil, entries.count >= Self.maxEntries, let any = entries.keys.first {
                entries.removeValue(forKey: any)
            }
            entries[path] = Entry(identity: identity, value: value)
        }
    }

    /// Files whose values are kept (for tests).
    var count: Int { entries.withLock { $0.count } }
}
