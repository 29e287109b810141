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
        candidates(frontPath: frontPath.map { Array($0.utf8) }).map { String(decoding: $0, as: UTF8.self) }
    }

    /// ``candidates(frontPath:)`` on the path's bytes, as the kernel has them: a directory whose
    /// name is not UTF-8 (Latin-1, say) is kept byte for byte, not repaired into one that does not
    /// exist.
    public static func candidates(frontPath: [UInt8]?) -> [[UInt8]] {
        let slash = UInt8(ascii: "/")
        guard let frontPath, frontPath.first == slash, let last = frontPath.lastIndex(of: slash) else {
            return [Array(installedPath.utf8)]
        }
        let directory = Array(frontPath[..<last])
        let name = Array("/\(Self.name)".utf8)
        let bin = Array("/bin".utf8)
        guard directory.count >= bin.count, directory.suffix(bin.count).elementsEqual(bin) else {
            return [directory + name]
        }
        let prefix = directory.dropLast(bin.count)
        return [prefix + Array("/libexec/secrets-delegate".utf8) + name, directory + name]
    }

    /// Replaces the process with the full binary, the arguments (`argv[0]` included) exactly as
    /// this process got them and the environment unchanged. Returns only if it could not: the
    /// path that failed (the first one tried when none exists; shown with any byte that is not
    /// UTF-8 replaced) and `errno`.
    public static func execute() -> (path: String, errno: Int32) {
        let places = candidates(frontPath: executablePath())
        for path in places {
            _ = (path + [0]).withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { execv($0.baseAddress!, CommandLine.unsafeArgv) }
            }
            let number = errno
            if number != ENOENT { return (String(decoding: path, as: UTF8.self), number) }
        }
        return (String(decoding: places[0], as: UTF8.self), ENOENT)
    }

    /// This process's executable's path bytes, from `/proc/self/exe`; nil without `/proc`.
    static func executablePath() -> [UInt8]? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return buffer[0..<count].map { UInt8(bitPattern: $0) }
    }
}
