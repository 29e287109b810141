import FileNames

/// Rules for the file names the spool accepts.
public enum SpoolName {
    /// True for a name the spool treats as a task: `*.json`, not a dotfile, one path component.
    public static func isTaskFileName(_ name: String) -> Bool {
        let utf8 = name.utf8
        return utf8.count > 5 && utf8.count <= 255 && utf8.first != UInt8(ascii: ".")
            && name.hasSuffix(".json") && !utf8.contains(UInt8(ascii: "/")) && !utf8.contains(0)
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
        name.hasSuffix(".json") ? String(name.dropLast(5)) : name
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
