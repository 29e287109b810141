import FileNames

/// Rules for the file names the spool accepts.
public enum SpoolName {
    /// The longest task file name, in bytes: the files kept beside a claimed task
    /// (`.<name>.result` and its temporary `.<name>.result.<pid>.<random>.tmp`) must still be
    /// names (at most 255 bytes). A longer one is renamed (``needsRepair(_:isUTF8:)``).
    public static let maximumTaskFileNameBytes = 200

    /// True for a name the spool treats as a task: `*.json`, not a dotfile, one path component,
    /// at most ``maximumTaskFileNameBytes``.
    ///
    /// One pass over the name's contiguous bytes: asked several times per task (watcher, claim,
    /// recovery), the collection algorithms over `String.UTF8View` cost about a thousand
    /// instructions a call.
    public static func isTaskFileName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            let count = bytes.count
            guard count > 5, count <= maximumTaskFileNameBytes, bytes[0] != UInt8(ascii: ".") else { return false }
            guard bytes[count - 5] == UInt8(ascii: "."), bytes[count - 4] == UInt8(ascii: "j"),
                bytes[count - 3] == UInt8(ascii: "s"), bytes[count - 2] == UInt8(ascii: "o"),
                bytes[count - 1] == UInt8(ascii: "n")
            else { return false }
            return !bytes.contains { $0 == UInt8(ascii: "/") || $0 == 0 }
        }
    }

    /// True for a name, as `readdir` gives its bytes, that would be a task's but cannot be
    /// claimed or reported as it is (not UTF-8, or longer than ``maximumTaskFileNameBytes``):
    /// `*.json`, not hidden. The watcher renames such an entry so it can be judged.
    static func needsRepair(_ raw: some Collection<UInt8>, isUTF8: Bool) -> Bool {
        // Most names are short UTF-8: decided by the count alone.
        guard !isUTF8 || raw.count > maximumTaskFileNameBytes else { return false }
        return raw.first != UInt8(ascii: ".") && raw.count > 5 && raw.suffix(5).elementsEqual(".json".utf8)
    }

    /// `invalid-name-<hex>.json`: the name's bytes in hex; of a name over 40 bytes, its first 40
    /// and then the FNV-1a hash of all of them, so that names alike in their first 40 bytes
    /// do not take the same new name. The longest stem is 110 characters, so a task without an
    /// id inside, whose result takes the stem as its id (at most 128), keeps the hash too.
    static func repairedName(_ raw: [UInt8]) -> String {
        repairedStem(raw) + ".json"
    }

    /// `invalid-name-<hex>` for `raw` (``repairedName(_:)`` without `.json`): a valid task id,
    /// and none a producer would choose, for the result of a task whose file's stem is no id.
    public static func repairedStem(_ raw: [UInt8]) -> String {
        func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
            bytes.map { byte in
                let digits = String(byte, radix: 16)
                return byte < 16 ? "0" + digits : digits
            }.joined()
        }
        guard raw.count > 40 else { return "invalid-name-\(hex(raw))" }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "invalid-name-\(hex(raw.prefix(40)))-\(hex(withUnsafeBytes(of: hash.bigEndian) { Array($0) }))"
    }

    /// True for an id usable as a file name: `[A-Za-z0-9._-]{1,128}`, not `.` or `..`
    /// (`PortableFileName`).
    public static func isValidID(_ id: String) -> Bool {
        PortableFileName.isValid(id)
    }

    /// True for an id that names a task's files (`new/<id>.json`, `done/<id>.json`): a valid id
    /// (``isValidID(_:)``) that does not start with `.`, since such a file would be hidden from
    /// `ls` and from the producer's own listing (and `.` and `..` are no file names at all).
    public static func isValidTaskID(_ id: String) -> Bool {
        isValidID(id) && id.utf8.first != UInt8(ascii: ".")
    }

    /// The name without its `.json` suffix.
    static func stem(of name: String) -> String {
        FileNameBytes.endsWith(name, ".json") ? FileNameBytes.trimming(name, suffixBytes: 5) : name
    }

    static func checkTaskID(_ id: String, what: String) throws(TaskQueueError) {
        guard isValidTaskID(id) else {
            throw TaskQueueError(
                code: .invalidName,
                message: "\(what) must be 1-128 characters of A-Za-z0-9._-, not starting with '.': "
                    + id.prefix(140).debugDescription
            )
        }
    }

    static func checkTaskFileName(_ name: String) throws(TaskQueueError) {
        guard isTaskFileName(name) else {
            throw TaskQueueError(code: .invalidName, message: "not a task file name: \(name.debugDescription)")
        }
    }

    static func checkID(_ id: String, what: String) throws(TaskQueueError) {
        guard isValidID(id) else {
            throw TaskQueueError(
                code: .invalidName,
                message: "\(what) must be 1-128 characters of A-Za-z0-9._- : \(id.prefix(140).debugDescription)"
            )
        }
    }
}
