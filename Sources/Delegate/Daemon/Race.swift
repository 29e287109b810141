/// Two pieces of work run side by side; the first to finish decides.
enum Race {
    /// The result of whichever of `first` and `second` finishes first; the other is cancelled
    /// and waited for (as a child task, it cannot outlive the call).
    static func first<Value: Sendable>(
        _ first: @escaping @Sendable () async -> Value, _ second: @escaping @Sendable () async -> Value
    ) async -> Value {
        await withTaskGroup(of: Value.self) { group in
            group.addTask(operation: first)
            group.addTask(operation: second)
            guard let winner = await group.next() else {
                preconditionFailure("a task group with two children returned none")
            }
            group.cancelAll()
            return winner
        }
    }
}
