import Synchronization

/// The configuration the daemon runs with: the one it started with until a reload replaces it.
///
/// Periodic work reads ``current`` on every round instead of capturing a value at start, so a
/// reload reaches it without restarting the loop. Keys that apply only at a restart keep their
/// running values here (see `ConfigurationKey.appliesOnReload`).
final class RunningConfiguration: Sendable {
    private let value: Mutex<DelegateConfiguration>

    init(_ configuration: DelegateConfiguration) {
        value = Mutex(configuration)
    }

    var current: DelegateConfiguration { value.withLock { $0 } }

    func replace(with configuration: DelegateConfiguration) {
        value.withLock { $0 = configuration }
    }
}
