import Testing

@testable import Delegate

/// The run's phases keep systemd's notifications in order: no READY=1 once a stop began, and an
/// intake that opens after the stop's first step closes itself.
@Suite struct DaemonRunTests {
    @Test func readyOnlyBeforeAStopAndOnlyOnce() {
        let run = DaemonRun(gate: StartupGate(waitingFor: []))
        #expect(!run.isStopping)
        #expect(run.becomeReady())
        #expect(!run.becomeReady(), "READY=1 is sent once")
        _ = run.beginStopping()
        #expect(run.isStopping)

        let stoppedFirst = DaemonRun(gate: StartupGate(waitingFor: []))
        _ = stoppedFirst.beginStopping()
        #expect(!stoppedFirst.becomeReady(), "no READY=1 after STOPPING=1")
    }

    @Test func anIntakeOpenedAfterTheStopBeganIsToldToStop() {
        let run = DaemonRun(gate: StartupGate(waitingFor: []))
        #expect(!run.opened { _ in }, "opened before the stop: the stop closes it")
        _ = run.beginStopping()
        #expect(run.opened { _ in }, "opened after the stop's first step: it stops itself")
    }
}
