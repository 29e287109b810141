internal import CLinuxShim
import Glibc

/// How `exec` starts its command: as execvp(3), and so env(1), find and run a program. (A file
/// of its own for the shim's `internal import`: in `EnvironmentExec`, whose public API uses
/// `sigset_t`, that import would make the type resolve to the shim's copy.)
enum ProgramSearch {
    /// execvpe(3): `program` itself if it holds a `/`, else the first of that name in this
    /// process's `PATH` (`/bin:/usr/bin` when unset), a file without `#!` run by `/bin/sh`, with
    /// `environment` as the new process's. Returns (-1) only if nothing could run; `errno` then
    /// says why, of the last place tried (so not whether `program` was found: see ``exists(_:)``).
    static func execute(
        _ program: UnsafePointer<CChar>, _ arguments: [UnsafeMutablePointer<CChar>?], _ environment: [UnsafeMutablePointer<CChar>?]
    ) -> Int32 {
        clinuxshim_execvpe(program, arguments, environment)
    }

    /// Whether `program` is where ``execute(_:_:_:)`` looks, after it could not run it: the file
    /// itself if it holds a `/`, else a file of that name, not a directory, in a directory of this
    /// process's `PATH` (`/bin:/usr/bin` when unset; an empty entry is the working directory): a
    /// directory of the command's name there is "command not found" to bash and dash, 127. `errno` alone cannot
    /// tell: execve(2) says `ENOENT` for a found script whose `#!` interpreter is missing, and
    /// execvp(3) reports the last directory's error (`ENOTDIR`, `EACCES`) for a name found nowhere.
    static func exists(_ program: [UInt8]) -> Bool {
        /// `stat`'s answer: 0, or its errno; and what it found.
        func look(_ path: [UInt8]) -> (errno: Int32, mode: mode_t) {
            var status = stat()
            let number = (path + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &status) == 0 ? 0 : errno }
            }
            return (number, status.st_mode)
        }
        func isFile(_ path: [UInt8]) -> Bool {
            let found = look(path)
            return found.errno == 0 && found.mode & S_IFMT != S_IFDIR
        }
        // An empty name is found nowhere (execvp fails it at once; in a PATH entry it would name
        // the directory itself).
        guard !program.isEmpty else { return false }
        // A path given is missing only when it names nothing: one that cannot be looked at
        // (`EACCES`, `ENOTDIR`, `ELOOP`) is found but not run, 126, as bash and env(1) say.
        if program.contains(UInt8(ascii: "/")) { return look(program).errno != ENOENT }
        let search = getenv("PATH").map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
            ?? Array("/bin:/usr/bin".utf8)
        return search.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).contains { directory in
            isFile((directory.isEmpty ? Array(".".utf8) : Array(directory)) + [UInt8(ascii: "/")] + program)
        }
    }
}
