import Glibc

/// Reading a small file the delegate must be able to trust (a key file, a configuration file):
/// opened without waiting on a FIFO, a link followed, judged by its `stat` before a byte is read,
/// and read to at most one byte past `limit`, so that a larger one shows.
enum RegularFile {
    enum Failure: Error, Equatable {
        /// `open`, `fstat` or `read` failed with this `errno` (ENOENT: there is nothing at the path).
        case system(Int32)
        case notRegular
        /// What `judge` said of the file's `stat`.
        case refused(String)
    }

    /// The file's bytes, at most `limit + 1` of them (more than `limit`: the file is too large).
    static func read(_ path: String, limit: Int, judge: (stat) -> String? = { _ in nil }) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return .failure(.system(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.system(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegular) }
        if let problem = judge(info) { return .failure(.refused(problem)) }
        return readToEnd(fd, limit: limit)
    }

    /// What `fd` holds up to its end, at most `limit + 1` bytes (more than `limit`: it is too
    /// large, and nothing past that was read); `.system` with the `errno` if a read fails. A
    /// descriptor another process made non-blocking (a shared pipe or terminal) is waited on.
    static func readToEnd(_ fd: Int32, limit: Int) -> Result<[UInt8], Failure> {
        var bytes = [UInt8](repeating: 0, count: min(limit + 1, 64 * 1024))
        var count = 0
        while count <= limit {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, limit + 1 - count))) }
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if got == 0 { break }
            if got < 0 {
                let number = errno
                if number == EINTR { continue }
                if number == EAGAIN || number == EWOULDBLOCK {
                    var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    if poll(&waiting, 1, -1) >= 0 || errno == EINTR { continue }
                    return .failure(.system(errno))
                }
                return .failure(.system(number))
            }
            count += got
        }
        bytes.removeSubrange(count...)
        return .success(bytes)
    }

    static func describe(_ number: Int32) -> String { String(cString: strerror(number)) }
}
