import Foundation
import TaskQueue

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
            try client.send(Data(#"{"control":"status"}"#.utf8))
            guard let line = try client.readLine(timeout: timeout) else {
                return .failure("the delegate closed the connection without answering", status: ExitStatus.unavailable)
            }
            let pretty =
                (try? JSONSerialization.jsonObject(with: line))
                .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) }
                .map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: line, as: UTF8.self)
            return CommandOutcome(output: pretty, status: ExitStatus.success)
        } catch {
            return .failure("the delegate's socket \(socketPath) cannot be reached: \(error)", status: ExitStatus.unavailable)
        }
    }
}
