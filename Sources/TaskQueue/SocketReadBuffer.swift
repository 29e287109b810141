/// The buffer a server's connections read into: one per server, allocated once, since every
/// connection reads on the server's one serial queue. (A fresh zeroed 64 KiB array per read
/// cost a `malloc`, a `memset` and heap consolidation for every line of a one-line client.)
///
/// `@unchecked Sendable`: used only on the server's queue, by one read at a time.
final class SocketReadBuffer: @unchecked Sendable {
    static let size = 64 * 1024

    let bytes: UnsafeMutableRawBufferPointer

    init() {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.size, alignment: 16)
    }

    deinit {
        bytes.deallocate()
    }
}
