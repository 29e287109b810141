internal import CLinuxShim

/// How `exec` starts its command: as execvp(3), and so env(1), find and run a program. (A file
/// of its own for the shim's `internal import`: in `EnvironmentExec`, whose public API uses
/// `sigset_t`, that import would make the type resolve to the shim's copy.)
enum ProgramSearch {
    /// execvpe(3): `program` itself if it holds a `/`, else the first of that name in this
    /// process's `PATH` (`/bin:/usr/bin` when unset), a file without `#!` run by `/bin/sh`, with
    /// `environment` as the new process's. Returns (-1) only if nothing could run; `errno` then
    /// says why: `ENOENT` found nowhere, `EACCES` found but not executable.
    static func execute(
        _ program: UnsafePointer<CChar>, _ arguments: [UnsafeMutablePointer<CChar>?], _ environment: [UnsafeMutablePointer<CChar>?]
    ) -> Int32 {
        clinuxshim_execvpe(program, arguments, environment)
    }
}
