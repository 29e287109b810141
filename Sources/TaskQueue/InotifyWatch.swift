import Dispatch
import Glibc
import Logging

/// An inotify watch on one directory, read by a `DispatchSource` on its own queue.
///
/// Reports the names of entries renamed into (`IN_MOVED_TO`) or finished writing in
/// (`IN_CLOSE_WRITE`) the directory, within milliseconds of the event.
final class InotifyWatch: @unchecked Sendable {
    // @unchecked: `source` is set once in init and only cancelled afterwards (DispatchSource is
    // thread-safe); `fd` is owned by the source's cancel handler.
    private let source: DispatchSourceRead

    /// - Parameters:
    ///   - onName: called on the watch's queue for each reported name.
    ///   - onOverflow: called when the kernel dropped events (`IN_Q_OVERFLOW`); a rescan must catch up.
    init(
        directory: String,
        mask: UInt32 = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE),
        label: String,
        onName: @escaping @Sendable (String) -> Void,
        onOverflow: @escaping @Sendable () -> Void
    ) throws(TaskQueueError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw .system("inotify_init1", path: directory, errno: errno) }
        if inotify_add_watch(fd, directory, mask | UInt32(IN_ONLYDIR)) < 0 {
            let number = errno
            FileIO.close(fd)
            throw .system("inotify_add_watch", path: directory, errno: number)
        }
        let queue = DispatchQueue(label: label)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler {
            Self.drain(fd: fd, onName: onName, onOverflow: onOverflow)
        }
        source.setCancelHandler {
            FileIO.close(fd)
        }
        self.source = source
        source.resume()
    }

    deinit {
        source.cancel()
    }

    func cancel() {
        source.cancel()
    }

    private static func drain(fd: Int32, onName: (String) -> Void, onOverflow: () -> Void) {
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
                    if length > 0, nameStart + length <= count {
                        let bytes = raw[nameStart..<(nameStart + length)].prefix(while: { $0 != 0 })
                        if !bytes.isEmpty { onName(String(decoding: bytes, as: UTF8.self)) }
                    }
                    offset = nameStart + length
                }
            }
        }
    }
}
