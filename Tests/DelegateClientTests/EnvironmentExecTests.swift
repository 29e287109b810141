import Glibc
import Testing

@testable import DelegateClient

/// How `exec` reads the environment it hands on.
@Suite struct EnvironmentExecTests {
    @Test func theProcessEnvironmentIsReadEntryByEntry() {
        let name = "SD_ENVIRONMENT_EXEC_TEST"
        setenv(name, "a=b", 1)
        defer { unsetenv(name) }
        let entries = EnvironmentExec.processEnvironment()
        #expect(entries.filter { $0.starts(with: Array("\(name)=".utf8)) } == [Array("\(name)=a=b".utf8)])
    }
}
