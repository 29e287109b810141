import Glibc

/// Where the full `secrets-delegated` binary is, for the front binary: next to it (a build
/// directory), else in `../libexec/secrets-delegate/` from its directory (the package:
/// `/usr/bin/secrets-delegate` and `/usr/libexec/secrets-delegate/secrets-delegated`).
public enum FullBinary {
    public static let name = "secrets-delegated"

    /// The places to look, in order, for a front binary at `frontPath`.
    public static func candidates(frontPath: String) -> [String] {
        let directory = frontPath.lastIndex(of: "/").map { String(frontPath[..<$0]) } ?? "."
        return ["\(directory)/\(name)", "\(directory)/../libexec/secrets-delegate/\(name)"]
    }

    /// Replaces the process with the full binary, `arguments` (`argv[0]` included) and the
    /// environment unchanged. Returns only if it could not: the last path tried and `errno`.
    public static func execute(_ arguments: [String]) -> (path: String, errno: Int32) {
        var tried = (path: name, errno: ENOENT)
        for path in candidates(frontPath: executablePath()) {
            let argv = arguments.map { strdup($0) } + [nil]
            _ = execv(path, argv)
            tried = (path, errno)
            argv.forEach { free($0) }
            guard tried.errno == ENOENT else { break }
        }
        return tried
    }

    /// This process's executable, from `/proc/self/exe`.
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments.first ?? name }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
