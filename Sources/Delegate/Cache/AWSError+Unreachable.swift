import AWSCore

extension AWSError {
    /// Secrets Manager could not be reached, after the client's retries: no connection, DNS, TLS or
    /// a timeout (`EndpointUnreachable`), or an HTTP 5xx answer. Only then may the read cache serve
    /// an entry stale (section 14); never for an answer AWS gave (access denied, not found,
    /// throttling), for missing credentials, or for a call cancelled by the task's deadline.
    var meansUnreachable: Bool {
        switch kind {
        case .transport: code == "EndpointUnreachable"
        case .service: (500...599).contains(httpStatus ?? 0)
        case .credentials, .validation, .invalidResponse: false
        }
    }
}
