internal import CLinuxShim
import Glibc

/// A detached POSIX thread that runs one closure, named for `top -H` and `ps -L`.
///
/// Foundation's `Thread` would do, but it is the one thing this module needs from Foundation
/// beyond FoundationEssentials, and full Foundation brings CoreFoundation and ICU into the
/// daemon's memory.
enum DetachedThread {
    private final class Start {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new detached thread called `name` (the kernel keeps its first 15 bytes).
    /// Returns the `pthread_create` error number, or 0 once the thread runs.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let start = Unmanaged.passRetained(Start(name: name, body: body))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { argument in
            let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
            _ = clinuxshim_set_thread_name(start.name)
            start.body()
            return nil
        }, start.toOpaque())
        if result != 0 { start.release() }
        return result
    }
}
