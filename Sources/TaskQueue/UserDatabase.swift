import Glibc

/// The reentrant user and group database calls (`getpwnam_r`, `getgrnam_r` and kin) answer
/// `ERANGE` when the caller's buffer cannot hold the entry: a group of a few thousand members (as
/// sssd or LDAP serve them) needs more than any fixed size, and taking that answer for "no such
/// group" would refuse every member.
enum UserDatabase {
    /// The largest buffer a lookup is given before its `ERANGE` is taken as a failure.
    static let largestBuffer = 64 << 20

    /// `lookup(buffer, size)` with a buffer of `size` bytes, doubled while it answers `ERANGE`;
    /// the value it found, nil for any other failure or no entry. `lookup` returns its status
    /// and the value, copied out of the buffer (its strings point into it).
    static func lookUp<Value>(
        startingAt size: Int, _ lookup: (UnsafeMutablePointer<CChar>, Int) -> (status: Int32, value: Value?)
    ) -> Value? {
        var size = size
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let (status, value) = buffer.withUnsafeMutableBufferPointer { lookup($0.baseAddress!, $0.count) }
            if status == ERANGE, size < largestBuffer {
                size = min(size * 2, largestBuffer)
                continue
            }
            return status == 0 ? value : nil
        }
    }
}
