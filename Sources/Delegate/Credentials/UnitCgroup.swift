/// Whether a credential request comes from inside the unit its address names. systemd loads a
/// unit's credentials from a process already in that unit's control group (the one that goes
/// on to run its command), so its helper's `/proc/<pid>/cgroup` names the unit; another root
/// process naming the unit in the address it binds (uid 0 is all the socket's permissions and
/// `SO_PEERCRED` can tell) does not run there.
///
/// A path is the unit's when its first component that is not a slice (`*.slice`) is the unit
/// (as systemd names the group: `_` put before a name that would clash with the kernel's own
/// files), whatever follows (the unit's own subgroups). So `/system.slice/app.service` is
/// app.service's; `/user.slice/user-0.slice/user@0.service/app.service` (root's user manager
/// running a unit of that name) and `/system.slice/other.service/system.slice/app.service` (a
/// unit with `Delegate=` making groups of its own) are not.
enum UnitCgroup {
    /// Whether every systemd hierarchy in `/proc/<pid>/cgroup` (`text`) places the process in
    /// `unit`: the unified one (`0::PATH`) and, on a host in hybrid or legacy mode, the named
    /// `name=systemd` one; false if neither is there.
    static func places(_ text: String, in unit: String) -> Bool {
        let paths = systemdPaths(text)
        return !paths.isEmpty && paths.allSatisfy { isUnitPath($0, unit: unit) }
    }

    /// The paths of the hierarchies systemd keeps its units in, from `/proc/<pid>/cgroup`'s
    /// `ID:CONTROLLERS:PATH` lines.
    static func systemdPaths(_ text: String) -> [Substring] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let unified = fields[0] == "0" && fields[1].isEmpty
            return unified || fields[1] == "name=systemd" ? fields[2] : nil
        }
    }

    static func isUnitPath(_ path: Substring, unit: String) -> Bool {
        guard let name = path.split(separator: "/").first(where: { !$0.hasSuffix(".slice") }) else { return false }
        return name == unit || name == "_" + unit
    }

    /// `/proc/<pid>/cgroup`, or nil if it cannot be read (the process is gone).
    static func contents(pid: Int32) -> String? {
        guard case .success(let bytes) = RegularFile.read("/proc/\(pid)/cgroup", limit: 64 * 1024) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
