import Glibc

/// The reentrant user and group database calls (`getpwnam_r`, `getgrnam_r` and kin) answer
/// `ERANGE` when the caller's buffer cannot hold the entry: a group of a few thousand members (as
/// sssd or LDAP serve them) needs more than any fixed size, and taking that answer for "no such
/// group" would refuse every member.
public enum UserDatabase {
    /// The largest buffer a lookup is given before its `ERANGE` is taken as a failure.
    static let largestBuffer = 64 << 20

    /// What a lookup found.
    public enum Answer<Value> {
        case found(Value)
        /// The database answered that there is no such entry.
        case absent
        /// The database could not answer (`EIO`, `EMFILE`, `ENFILE`, `ENOMEM`, `EAGAIN`, an
        /// `ERANGE` past ``largestBuffer``): the entry may well exist, so this is no "absent".
        case unavailable(errno: Int32)

        public var value: Value? {
            if case .found(let value) = self { return value }
            return nil
        }

        /// Why the database could not answer, for a log line; nil when it answered.
        public var failure: String? {
            guard case .unavailable(let number) = self else { return nil }
            return "the user database did not answer: \(String(cString: strerror(number)))"
        }
    }

    /// `lookup(buffer, size)` with a buffer of `size` bytes, doubled while it answers `ERANGE`:
    /// the value it found, telling an entry that is not there from a database that could not
    /// answer. `lookup` returns its status and the value, copied out of the buffer (its strings
    /// point into it). glibc answers "not there" with status 0 and no entry; POSIX lets other
    /// systems answer it with `ENOENT`, `ESRCH`, `EBADF` or `EPERM`, taken as "not there" too.
    static func answer<Value>(
        startingAt size: Int, _ lookup: (UnsafeMutablePointer<CChar>, Int) -> (status: Int32, value: Value?)
    ) -> Answer<Value> {
        var size = size
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let (status, value) = buffer.withUnsafeMutableBufferPointer { lookup($0.baseAddress!, $0.count) }
            if status == ERANGE, size < largestBuffer {
                size = min(size * 2, largestBuffer)
                continue
            }
            switch status {
            case 0: return value.map(Answer.found) ?? .absent
            case ENOENT, ESRCH, EBADF, EPERM: return .absent
            default: return .unavailable(errno: status)
            }
        }
    }
}
