import Glibc
import Testing

@testable import Delegate

/// Whether `/proc/<pid>/cgroup` places a credential request's peer in the unit it names, as
/// systemd's helper is (cgroup v2, and the hybrid layout's two systemd hierarchies).
@Suite struct UnitCgroupTests {
    static let controllers = "12:memory:/system.slice/other.service\n4:cpu,cpuacct:/\n"

    @Test(arguments: [
        ("0::/system.slice/app.service\n", "app.service", true),
        ("0::/system.slice/app.service/init.scope\n", "app.service", true),
        ("0::/system.slice/system-getty.slice/getty@tty1.service\n", "getty@tty1.service", true),
        ("0::/system.slice/_cpu.service\n", "cpu.service", true),
        (controllers + "1:name=systemd:/system.slice/app.service\n0::/system.slice/app.service\n", "app.service", true),
        (controllers + "1:name=systemd:/system.slice/app.service\n", "app.service", true),
        // Root's user manager running a unit of the same name; a unit's own delegated groups.
        ("0::/user.slice/user-0.slice/user@0.service/app.slice/app.service\n", "app.service", false),
        ("0::/system.slice/other.service/system.slice/app.service\n", "app.service", false),
        ("0::/system.slice/app2.service\n", "app.service", false),
        ("0::/system.slice/app.service.d\n", "app.service", false),
        ("0::/\n", "app.service", false),
        ("0::/system.slice\n", "app.service", false),
        // One hierarchy in the unit and the other not; no systemd hierarchy at all.
        ("1:name=systemd:/system.slice/app.service\n0::/\n", "app.service", false),
        (controllers, "app.service", false),
        ("", "app.service", false),
    ])
    func placesThePeerInItsUnit(_ text: String, _ unit: String, _ placed: Bool) {
        #expect(UnitCgroup.places(text, in: unit) == placed, "\(text)")
    }

    @Test func thisProcessIsReadFromProc() throws {
        let text = try #require(UnitCgroup.contents(pid: getpid()))
        #expect(!UnitCgroup.systemdPaths(text).isEmpty, "\(text)")
        #expect(UnitCgroup.contents(pid: Int32.max) == nil)
    }
}
