import Foundation
import TestSupport

/// systemd's credential helper, reproduced in its own process (python3): moves itself into the
/// control group of the unit its name gives (`<random>/unit/<unit>/<id>`), as systemd's helper
/// runs in it, unless told not to; binds its end to the abstract address `\0<name>` (unless
/// `name` is nil: an unbound client), connects to the credentials socket, sends nothing and reads
/// until EOF. Optionally as uid 65534 (`setpriv`).
enum CredentialPeer {
    /// Where the peer's control groups go, under each systemd hierarchy mounted here (cgroup2 at
    /// /sys/fs/cgroup, or the hybrid layout's unified and name=systemd hierarchies).
    static let slice = "secrets-delegate-test.slice"
    static let hierarchies = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"]

    static let script = """
        import os, socket, sys
        parts = sys.argv[2].split("/")
        if sys.argv[3] == "unit" and len(parts) == 4 and parts[1] == "unit":
            for root in sys.argv[4:]:
                if os.path.exists(root + "/cgroup.procs"):
                    group = root + "/\(slice)/" + parts[2]
                    for attempt in range(50):  # another peer of the unit may remove it meanwhile
                        try:
                            os.makedirs(group, exist_ok=True)
                            with open(group + "/cgroup.procs", "w") as procs:
                                procs.write(str(os.getpid()))
                            break
                        except FileNotFoundError:
                            pass
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
    /// `inUnit: false` keeps the peer in the test's own control group: a root process that is not
    /// systemd's helper.
    static func request(path: String, boundTo name: String?, asNobody: Bool = false, inUnit: Bool = true) async throws
        -> Data?
    {
        defer { removeGroup(of: name) }
        let python = ["/usr/bin/python3", "-c", script, path, name ?? "-", inUnit && !asNobody ? "unit" : "-"] + hierarchies
        let outcome =
            asNobody
            ? try await ChildProcess.run(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups"] + python)
            : try await ChildProcess.run(python[0], Array(python.dropFirst()))
        let lines = outcome.output.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 2, lines[1] == "EOF" else { return nil }
        return hexDecoded(String(lines[0]))
    }

    /// The control group of the unit `name` gives, once its peer is gone (one that another peer
    /// of the unit still runs in stays).
    private static func removeGroup(of name: String?) {
        let parts = name?.split(separator: "/", omittingEmptySubsequences: false) ?? []
        guard parts.count == 4, parts[1] == "unit" else { return }
        for root in hierarchies { rmdir("\(root)/\(slice)/\(parts[2])") }
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
