/// Opens once every name given at `init` has arrived; callers wait for it to open.
///
/// Two gates: one holds `READY=1` back until every service that must be up first has said so
/// (the sockets listening, the spool watched, SIGHUP trapped: the services of one `ServiceGroup`
/// start together, and systemd may send a task or a reload the moment it sees READY); the
/// dispatcher's opens at the stop, for loops that wait for work or for the stop, whichever comes
/// first.
final class Gate: Sendable {
    /// The names not yet arrived.
    private let waitingFor: Condition<Set<String>>

    init(waitingFor names: Set<String>) {
        waitingFor = Condition(names) { $0.isEmpty }
    }

    /// `name` is up.
    func arrive(_ name: String) {
        waitingFor.update { $0.remove(name) }
    }

    /// Returns when every service named at `init` has arrived, or when the caller is cancelled;
    /// true when all have arrived.
    func wait() async -> Bool {
        await waitingFor.wait()
    }
}
