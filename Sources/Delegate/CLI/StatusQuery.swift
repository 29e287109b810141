import FoundationEssentials
import JSON
import TaskQueue
import DelegateClient

/// `secrets-delegate status`: asks a running delegate for its status object over the socket.
public struct StatusQuery: Sendable {
    public var socketPath: String
    public var timeout: Duration

    public init(socketPath: String, timeout: Duration = .seconds(5)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    public func run() -> CommandOutcome {
        do {
            let client = try SocketClient.connect(path: socketPath, timeout: timeout)
            defer { client.close() }
            do {
                try client.send(Data(#"{"control":"status"}"#.utf8))
            } catch {
                // A delegate that refused the connection answered and closed before the request.
                if error.code != .timedOut, let refusal = client.pendingRefusal() { return .refused(refusal) }
                throw error
            }
            guard let line = try client.readLine(timeout: timeout) else {
                return .failure("the delegate closed the connection without answering", status: ExitStatus.unavailable)
            }
            // Part of a status object is none: a script reading stdout would take it for one.
            guard !client.lastLineWasCutShort else {
                return .failure(
                    "the delegate closed the connection in the middle of its answer (it stopped or was killed)",
                    status: ExitStatus.unavailable)
            }
            let parsed = line.withUnsafeBytes { JSONParser.parse(validatingUTF8: $0)?.value }
            // The socket's own refusals ({"error":"PeerNotAllowed","message":...}) are no status
            // object: the delegate could not be asked (exit 69, as `get` does), nothing on stdout.
            if case .object(let members)? = parsed, members["name"] == nil,
                let refusal = SecretFetcher.socketRefusal(members)
            {
                return .refused(refusal)
            }
            let pretty = parsed?.prettyText ?? String(decoding: line, as: UTF8.self)
            return CommandOutcome(output: pretty, status: ExitStatus.success)
        } catch {
            return .failure(
                UnreachableSocket.message(path: socketPath, cause: error, errno: (error as? TaskQueueError)?.errno),
                status: UnreachableSocket.status(invalidAddress: (error as? TaskQueueError)?.code == .invalidAddress))
        }
    }
}
