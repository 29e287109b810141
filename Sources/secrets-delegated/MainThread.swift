import Dispatch
import Synchronization

/// The main thread, kept for what a command must do on it while the command itself runs on the
/// global executor: `exec`'s `execve`, so that the command starts with the signal mask and nice
/// value the process started with (a Dispatch worker thread blocks most signals and sets a nice
/// value of its own, per thread on Linux, both of which `execve` keeps).
enum MainThread {
    private enum Work {
        case run(@Sendable () -> Void)
        case finish
    }

    private static let queue = Mutex<[Work]>([])
    private static let wake = DispatchSemaphore(value: 0)

    /// On the main thread: runs what ``run(_:)`` hands it until ``finish()``.
    static func serve() {
        while true {
            wake.wait()
            guard let work = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            switch work {
            case .run(let body): body()
            case .finish: return
            }
        }
    }

    /// Ends ``serve()``: the command is done.
    static func finish() {
        queue.withLock { $0.append(.finish) }
        wake.signal()
    }

    /// Runs `body` on the main thread and returns its result; blocks the calling thread meanwhile.
    @Sendable static func run(_ body: @escaping @Sendable () -> Int32) -> Int32 {
        let result = Mutex<Int32>(0)
        let done = DispatchSemaphore(value: 0)
        queue.withLock {
            $0.append(
                .run {
                    result.withLock { $0 = body() }
                    done.signal()
                })
        }
        wake.signal()
        done.wait()
        return result.withLock { $0 }
    }
}
