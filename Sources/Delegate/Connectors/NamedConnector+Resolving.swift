import JSON

extension NamedConnector {
    /// The configured connector a task names with `"connector": "<id>"`; nil when the task carries
    /// a connector object instead (or none: the caller's `object("connector")` says so).
    static func resolve(_ task: TaskObject, in connectors: [String: NamedConnector]) throws(TaskProblem)
        -> NamedConnector?
    {
        guard case .string(let id) = task.fields["connector"] else { return nil }
        guard let named = configured(id, in: connectors) else {
            let shown = DelegateTask.isValidID(id) ? id : DelegateConfiguration.quoted(id)
            throw .invalid(
                "connector \(shown) is not configured on this delegate"
                    + (connectors.isEmpty
                        ? " (it has no named connectors)"
                        : " (a connector is a [connectors.<id>] table, or a drop-in <id>.toml in connectors_dir, "
                            + "connectors.d by default; check-config lists those loaded)"))
        }
        return named
    }

    /// The connector whose id is `id`, byte for byte; nil for any other. Every lookup of an id a
    /// task (or a configuration entry) gives goes through here: a dictionary compares by canonical
    /// equivalence ("\u{212A}afka", with the Kelvin sign, is "Kafka" to it), ids by their bytes,
    /// and only a valid id (ASCII) is the same string by both.
    static func configured(_ id: String, in connectors: [String: NamedConnector]) -> NamedConnector? {
        DelegateTask.isValidID(id) ? connectors[id] : nil
    }
}
