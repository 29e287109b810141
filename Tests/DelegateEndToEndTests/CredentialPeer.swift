import Foundation
import TestSupport

/// systemd's credential helper, reproduced in its own process (python3): binds its end to the
/// abstract address `\0<name>` (unless `name` is nil: an unbound client), connects to the
/// credentials socket, sends nothing and reads until EOF. Optionally as uid 65534 (`setpriv`).
enum CredentialPeer {
    static let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        if sys.argv[2] != "-":
            s.bind("\\0" + sys.argv[2])
        s.connect(sys.argv[1])
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        sys.stdout.write(data.hex() + "\\nEOF")
        """

    /// The bytes the delegate wrote before closing; nil when the exchange itself failed (no EOF).
    static func request(path: String, boundTo name: String?, asNobody: Bool = false) async throws -> Data? {
        let python = ["/usr/bin/python3", "-c", script, path, name ?? "-"]
        let outcome =
            asNobody
            ? try await ChildProcess.run(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups"] + python)
            : try await ChildProcess.run(python[0], Array(python.dropFirst()))
        let lines = outcome.output.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 2, lines[1] == "EOF" else { return nil }
        return hexDecoded(String(lines[0]))
    }

    /// The name systemd binds for `unit`'s credential `id`: a random 64-bit number in hex.
    static func systemdName(unit: String, id: String) -> String {
        "\(String(UInt64.random(in: 1...UInt64.max), radix: 16))/unit/\(unit)/\(id)"
    }

    private static func hexDecoded(_ hex: String) -> Data? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return Data(bytes)
    }
}
