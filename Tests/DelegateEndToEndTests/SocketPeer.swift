import Foundation
import TestSupport
import Testing

/// A socket client in its own process (python3), optionally as another user (`setpriv`), that
/// sends lines, half-closes, and returns every line the delegate answers until it closes.
enum SocketPeer {
    static let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(90)
        s.connect(sys.argv[1])
        try:
            s.sendall(sys.stdin.buffer.read())
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        try:
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        except OSError as error:
            data += ("\\n<%s>" % type(error).__name__).encode()
        sys.stdout.buffer.write(data)
        """

    /// Sends `lines` (each followed by a newline) to the socket at `path`; returns the answers.
    static func exchange(path: String, lines: [Data], asNobody: Bool = false) async throws -> [String] {
        var payload = Data()
        for line in lines {
            payload.append(line)
            payload.append(UInt8(ascii: "\n"))
        }
        let python = ["/usr/bin/python3", "-c", script, path]
        let outcome =
            asNobody
            ? try await ChildProcess.run(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups"] + python, input: payload,
                timeout: .seconds(180))
            : try await ChildProcess.run(python[0], Array(python.dropFirst()), input: payload, timeout: .seconds(180))
        return outcome.output.split(separator: "\n").map(String.init)
    }

    static func object(_ line: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }
}
