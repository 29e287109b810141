import Glibc

/// Where the full `secrets-delegated` binary is, for the front binary: in
/// `../libexec/secrets-delegate/` from the front binary's directory (the package:
/// `/usr/bin/secrets-delegate` and `/usr/libexec/secrets-delegate/secrets-delegated`), else next
/// to it (a build directory).
public enum FullBinary {
    public static let name = "secrets-delegated"
    /// Where the package installs it: the only place looked at when this process cannot tell
    /// where its own executable is (no `/proc`). Never a path relative to the working directory.
    public static let installedPath = "/usr/libexec/secrets-delegate/\(name)"

    /// The places to look, in order, for a front binary at `frontPath` (absolute), or nil.
    public static func candidates(frontPath: String?) -> [String] {
        guard let frontPath, frontPath.hasPrefix("/"), let slash = frontPath.lastIndex(of: "/") else {
            return [installedPath]
        }
        let directory = frontPath[..<slash]
        let parent = directory.lastIndex(of: "/").map { String(directory[..<$0]) } ?? ""
        return ["\(parent)/libexec/secrets-delegate/\(name)", "\(directory)/\(name)"]
    }

    /// Replaces the process with the full binary, the arguments (`argv[0]` included) exactly as
    /// this process got them and the environment unchanged. Returns only if it could not: the
    /// last path tried and `errno`.
    public static func execute() -> (path: String, errno: Int32) {
        var tried = (path: installedPath, errno: ENOENT)
        for path in candidates(frontPath: executablePath()) {
            _ = execv(path, CommandLine.unsafeArgv)
            tried = (path, errno)
            guard tried.errno == ENOENT else { break }
        }
        return tried
    }

    /// This process's executable, from `/proc/self/exe`; nil without `/proc`.
    static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
