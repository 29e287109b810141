import AWSCore

extension TaskFailure {
    /// The result's `error` for an AWS or delegate failure; the message is already redacted.
    /// A call cancelled because the delegate is stopping is reported as `DelegateStopping`.
    init(_ error: AWSError) {
        if error.code == "Cancelled" {
            self.init(
                code: Code.delegateStopping.rawValue,
                message: "the delegate stopped before the task finished; submit it again", retryable: true)
            return
        }
        self.init(code: error.code, message: error.message, retryable: error.retryable, awsRequestId: error.requestId)
    }
}

extension AWSError {
    /// Refusals that make the task itself invalid (`rejected`), as opposed to failures of a valid task.
    var rejectsTask: Bool {
        kind == .validation && (code == "InvalidTask" || code == "InvalidSecretName")
    }
}
