import Glibc

/// System calls as the command line and the task queue make them.
public enum SystemCall {
    /// Runs `call` again while it fails with `EINTR`.
    @inline(__always)
    public static func retrying<T: SignedInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }
}
