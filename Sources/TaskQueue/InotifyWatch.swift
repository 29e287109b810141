import Dispatch
import Glibc
import Logging
import Synchronization

/// An inotify watch on one directory, read by a `DispatchSource` on its own queue.
///
/// Reports the names of entries renamed into (`IN_MOVED_TO`) or finished writing in
/// (`IN_CLOSE_WRITE`) the directory, within milliseconds of the event, and when the directory
/// itself was removed or renamed away. A watch follows the directory it was put on, not the path:
/// ``rearm(addWatch:)`` puts it on the directory now at the path.
final class InotifyWatch: @unchecked Sendable {
    // @unchecked: `source` is set once in init and only cancelled afterwards (DispatchSource is
    // thread-safe); `fd` is closed by the source's cancel handler, under `watch`'s lock.
    private let source: DispatchSourceRead
    private let fd: Int32
    private let directory: String
    private let mask: UInt32
    /// The watch descriptor in force; `closed` once the cancel handler closed `fd` (so that
    /// ``rearm(addWatch:)`` never uses a descriptor number that may be another file's by then).
    private let watch: WatchState
    /// Why the directory could not be watched when the watch was made (a user's inotify limits:
    /// `ENOSPC`, `ENOMEM`); nil when it was. ``rearm(addWatch:)`` watches it once it can.
    let unwatchedAtStart: Int32?

    /// The system calls a watch is made with; tests make them fail (setting `errno`). Not those of
    /// ``rearm(addWatch:)``, which takes its own (so a test can refuse the first watch and let a
    /// later pass make it).
    struct SystemCalls: Sendable {
        var initialize: @Sendable () -> Int32 = { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        var addWatch: @Sendable (Int32, String, UInt32) -> Int32 = { inotify_add_watch($0, $1, $2) }
    }

    /// The `errno`s of a watch not made for want of a resource, which a later look may find (the
    /// rescan carries the load meanwhile): the user's instances or watches, the kernel's memory.
    static let resourceShortages: Set<Int32> = [EMFILE, ENFILE, ENOMEM, ENOSPC]

    private final class WatchState: Sendable {
        let lock: Mutex<(descriptor: Int32, closed: Bool)>
        init(_ descriptor: Int32) { lock = Mutex((descriptor, false)) }
    }

    /// - Parameters:
    ///   - onName: called on the watch's queue for each reported name that is UTF-8.
    ///   - onNameNotUTF8: called with the bytes of a name that is not (as text it would name no
    ///     file: the caller finds it by listing the directory).
    ///   - onOverflow: called when the kernel dropped events (`IN_Q_OVERFLOW`); a rescan must catch up.
    ///   - onDirectoryGone: called when the watched directory was removed or renamed away (a
    ///     rescan should look at the path, and ``rearm(addWatch:)`` watch what is there now).
    ///   - calls: `inotify_init1(2)` and `inotify_add_watch(2)`. A watch the user's limits refuse
    ///     (``resourceShortages``) is no failure: ``unwatchedAtStart`` says so.
    init(
        directory: String,
        mask: UInt32 = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE),
        label: String,
        onName: @escaping @Sendable (String) -> Void,
        onNameNotUTF8: @escaping @Sendable ([UInt8]) -> Void = { _ in },
        onOverflow: @escaping @Sendable () -> Void,
        onDirectoryGone: @escaping @Sendable () -> Void = {},
        calls: SystemCalls = SystemCalls()
    ) throws(TaskQueueError) {
        let fd = calls.initialize()
        guard fd >= 0 else { throw .system("inotify_init1", path: directory, errno: errno) }
        let mask = mask | UInt32(IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF)
        let descriptor = calls.addWatch(fd, directory, mask)
        let number = errno
        if descriptor < 0, !Self.resourceShortages.contains(number) {
            FileIO.close(fd)
            throw .system("inotify_add_watch", path: directory, errno: number)
        }
        unwatchedAtStart = descriptor < 0 ? number : nil
        let watch = WatchState(descriptor)
        let queue = DispatchQueue(label: label)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler {
            Self.drain(
                fd: fd, onName: onName, onNameNotUTF8: onNameNotUTF8, onOverflow: onOverflow,
                onDirectoryGone: onDirectoryGone)
        }
        source.setCancelHandler {
            watch.lock.withLock { state in
                state.closed = true
                FileIO.close(fd)
            }
        }
        self.fd = fd
        self.directory = directory
        self.mask = mask
        self.watch = watch
        self.source = source
        source.resume()
    }

    /// What ``rearm(addWatch:)`` did.
    enum Rearm: Equatable {
        /// The directory at the path is the one watched (or the watch is closed).
        case unchanged
        /// The watch moved to the directory now at the path.
        case moved
        /// The directory at the path could not be watched (`errno`): `ENOENT` while it is
        /// missing; `ENOSPC` past the user's `fs.inotify.max_user_watches`; `ENOMEM` when the
        /// kernel is short of memory.
        case failed(Int32)
    }

    /// Watches the directory now at the path, if it is another than the one watched (the
    /// directory was removed and made again, or another renamed over it), and drops the old
    /// watch; or if none was (``unwatchedAtStart``). A system call when nothing changed (the
    /// kernel answers with the watch in force).
    ///
    /// - Parameter addWatch: `inotify_add_watch(2)`; tests make it fail.
    @discardableResult
    func rearm(addWatch: (Int32, String, UInt32) -> Int32 = { inotify_add_watch($0, $1, $2) }) -> Rearm {
        watch.lock.withLock { state in
            guard !state.closed else { return .unchanged }
            let descriptor = addWatch(fd, directory, mask)
            guard descriptor >= 0 else { return .failed(errno) }
            guard descriptor != state.descriptor else { return .unchanged }
            _ = inotify_rm_watch(fd, state.descriptor)  // EINVAL when the kernel already dropped it
            state.descriptor = descriptor
            return .moved
        }
    }

    deinit {
        source.cancel()
    }

    func cancel() {
        source.cancel()
    }

    private static func drain(
        fd: Int32, onName: (String) -> Void, onNameNotUTF8: ([UInt8]) -> Void, onOverflow: () -> Void,
        onDirectoryGone: () -> Void
    ) {
        let headerSize = MemoryLayout<inotify_event>.size
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                FileIO.retrying { Glibc.read(fd, raw.baseAddress, raw.count) }
            }
            if count <= 0 { return }  // EAGAIN: drained
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + headerSize <= count {
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameStart = offset + headerSize
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { onOverflow() }
                    if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 { onDirectoryGone() }
                    if length > 0, nameStart + length <= count {
                        let bytes = raw[nameStart..<(nameStart + length)].prefix(while: { $0 != 0 })
                        if !bytes.isEmpty {
                            if let name = String(validating: bytes, as: UTF8.self) {
                                onName(name)
                            } else {
                                onNameNotUTF8(Array(bytes))
                            }
                        }
                    }
                    offset = nameStart + length
                }
            }
        }
    }
}
