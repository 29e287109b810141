import Glibc

/// Where the full `secrets-delegated` binary is, for the front binary: next to it (a build
/// directory), and for a front binary in a `bin` directory also in `../libexec/secrets-delegate/`
/// from there, first (the package: `/usr/bin/secrets-delegate` and
/// `/usr/libexec/secrets-delegate/secrets-delegated`). Never outside those: a copy of the front
/// binary in `/tmp/x/` must not run a `/tmp/libexec/...` that anybody could have put there.
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
        let directory = String(frontPath[..<slash])
        guard directory.hasSuffix("/bin") else { return ["\(directory)/\(name)"] }
        let prefix = directory.dropLast("/bin".count)
        return ["\(prefix)/libexec/secrets-delegate/\(name)", "\(directory)/\(name)"]
    }

    /// Replaces the process with the full binary, the arguments (`argv[0]` included) exactly as
    /// this process got them and the environment unchanged. Returns only if it could not: the
    /// path that failed (the first one tried when none exists) and `errno`.
    public static func execute() -> (path: String, errno: Int32) {
        let places = candidates(frontPath: executablePath())
        for path in places {
            _ = execv(path, CommandLine.unsafeArgv)
            let number = errno
            if number != ENOENT { return (path, number) }
        }
        return (places[0], ENOENT)
    }

    /// This process's executable, from `/proc/self/exe`; nil without `/proc`.
    static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
