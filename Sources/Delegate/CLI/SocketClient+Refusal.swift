import FoundationEssentials
import DelegateClient
import SafeText
import TaskQueue

extension SocketClient {
    /// The socket's own refusal (`{"error":"TooManyConnections","message":...}`), if one is there
    /// to be read: the delegate refuses as it accepts and then closes, so its answer has come
    /// already, or comes within ``SecretFetcher/refusalReadTime`` (a broken send, a task sent
    /// without waiting for its result).
    func pendingRefusal() -> (code: String, message: String)? {
        lineSentAtOnce().flatMap(SecretFetcher.socketRefusal(inLine:))
    }

    /// The line the delegate sent within ``SecretFetcher/refusalReadTime``, if one came: a
    /// refusal, or an answer it gave at once.
    func lineSentAtOnce() -> Data? {
        try? readLine(timeout: SecretFetcher.refusalReadTime)
    }
}

extension CommandOutcome {
    /// The socket's own refusal as a failure: exit 69, its code and message on stderr, nothing on
    /// stdout (escaped: they come from whatever listens on the path).
    static func refused(_ refusal: (code: String, message: String)) -> CommandOutcome {
        .failure(ShownText.escaped("\(refusal.code): \(refusal.message)"), status: ExitStatus.unavailable)
    }
}
