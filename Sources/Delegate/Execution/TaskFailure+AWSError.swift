import AWSCore
import HTTP

// What an AWS failure means for the task, decided here and nowhere else: the result's code, its
// status, whether the task runs again, whether a cached read may be served stale, and whether
// a refusal is a denial.

extension TaskFailure.Code {
    /// The result's code for a call that failed with `code`: a cancelled call is
    /// `DelegateStopping`; every other code (AWS's own, or the delegate's, which share their
    /// spelling with the result's codes) passes through unchanged.
    init(_ code: AWSError.Code) {
        self = code == .cancelled ? .delegateStopping : Self(rawValue: code.rawValue)
    }
}

extension TaskFailure {
    /// The result's `error` for an AWS or delegate failure; the message is already redacted.
    /// A call cancelled because the delegate is stopping is reported as `DelegateStopping`.
    init(_ error: AWSError) {
        let code = Code(error.code)
        if code == .delegateStopping {
            self.init(
                code: code, message: "the delegate stopped before the task finished; submit it again", retryable: true)
            return
        }
        self.init(code: code, message: error.message, retryable: error.retryable, awsRequestId: error.requestId)
    }

    /// Whether this is the task's last word. `DelegateStopping` is not: a spool task cut off by a
    /// stop stays claimed and runs again at the next start, and its result is not written.
    var isFinal: Bool { code != .delegateStopping }
}

extension AWSError {
    /// The status of a task this error ended: `rejected` when the task itself is invalid (the
    /// call refused it before sending anything), `failed` otherwise.
    var taskStatus: TaskResult.Status {
        kind == .validation && (code == .invalidTask || code == .invalidSecretName) ? .rejected : .failed
    }

    /// Secrets Manager could not be reached, after the client's retries: no connection, DNS, a TLS
    /// handshake cut short or a timeout (`EndpointUnreachable` for a failure that passes), or an
    /// HTTP 5xx answer. Only then may the read cache serve an entry stale (section 14); never for
    /// an answer AWS gave (access denied, not found, throttling), for missing credentials
    /// (whatever kept them: an unreachable IMDS or STS is not Secrets Manager), for a call
    /// cancelled by the task's deadline, or for a failure that does not pass by itself (a proxy's
    /// refusal of the tunnel, a certificate refused, a URL curl cannot use: section 3's "no
    /// passing state", which the host's configuration or its network's policy must change).
    var meansUnreachable: Bool {
        if whileObtainingCredentials { return false }
        return switch kind {
        case .transport: code == .endpointUnreachable && transportError?.isTransient ?? true
        case .service: (500...599).contains(httpStatus ?? 0)
        case .credentials, .validation, .invalidResponse: false
        }
    }

    /// A call that failed before Secrets Manager could answer it, and not for a reason that passes
    /// (``meansUnreachable`` is that): a proxy's refusal, a certificate refused, no credentials to
    /// ask with, or cut off. A read cache's DescribeSecret that failed so ends the read: its
    /// GetSecretValue, on the same endpoint with the same credentials, would end the same way.
    var endsTheRead: Bool {
        kind == .transport || kind == .credentials || whileObtainingCredentials
    }

    /// AWS refused the call for want of permission (`testConnection` reports it as `denied`).
    var deniesAccess: Bool {
        code == .accessDeniedException || code == .accessDenied
    }
}
