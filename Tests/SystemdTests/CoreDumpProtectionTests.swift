import Systemd
import Testing

/// `CoreDumpProtection.enable()` changes the whole process, so it is tested on the built daemon
/// (`ProcessHardeningTests`); here only the reading side, on the test process nobody protected.
@Suite struct CoreDumpProtectionTests {
    @Test func theTestProcessIsDumpable() throws {
        #expect(try CoreDumpProtection.isEnabled() == false)
    }
}
