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

    @Test func theSignalMaskIsTheCallingThreads() {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR2)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var mask = EnvironmentExec.currentSignalMask()
        #expect(sigismember(&mask, SIGUSR2) == 1)
    }
}
