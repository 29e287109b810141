import Foundation

extension FakeDelegateSocket {
    /// A fake delegate answering each task by its `params.name`: `db` a string secret,
    /// `db#password` a field, `blob` a binary secret, `nul` a string holding a NUL, anything
    /// else ResourceNotFoundException.
    public static func secretGetterPeer(in directory: TemporaryDirectory) throws -> FakeDelegateSocket {
        try FakeDelegateSocket(path: directory.path("d.sock")) { task in
            let name = (task["params"] as? [String: Any])?["name"] as? String
            switch name {
            case "db": return succeeded(task, result: #"{"name":"db","secretString":"s3cr3t-é"}"#)
            case "db#password":
                return succeeded(task, result: #"{"name":"db#password","value":"pw-canary"}"#)
            case "blob":
                let bytes = Data([0x00, 0xff, 0x41, 0x0a, 0x00]).base64EncodedString()
                return succeeded(task, result: #"{"name":"blob","secretBinary":"\#(bytes)"}"#)
            case "latin1":
                // No NUL, but not UTF-8 either (é in Latin-1).
                let bytes = Data([0x63, 0x61, 0x66, 0xE9]).base64EncodedString()
                return succeeded(task, result: #"{"name":"latin1","secretBinary":"\#(bytes)"}"#)
            case "nul": return succeeded(task, result: #"{"name":"nul","secretString":"a\u0000b"}"#)
            case "refreshed":
                // Says whether the task asked past the read cache (`"refresh": true`).
                let refresh = (task["params"] as? [String: Any])?["refresh"].map { "\($0)" } ?? "absent"
                return succeeded(task, result: #"{"name":"refreshed","secretString":"refresh=\#(refresh)"}"#)
            default:
                return failed(
                    task, code: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret."
                )
            }
        }
    }
}
