import AWSCore

extension TaskFailure {
    /// The result's `error` for an AWS or delegate failure; the message is already redacted.
    init(_ error: AWSError) {
        self.init(code: error.code, message: error.message, retryable: error.retryable, awsRequestId: error.requestId)
    }
}

extension AWSError {
    /// Refusals that make the task itself invalid (`rejected`), as opposed to failures of a valid task.
    var rejectsTask: Bool {
        kind == .validation && (code == "InvalidTask" || code == "InvalidSecretName")
    }
}
