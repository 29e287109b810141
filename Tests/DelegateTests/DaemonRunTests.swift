import Foundation
import Testing

@testable import Delegate
import TaskQueue

/// The run's phases keep systemd's notifications in order: no READY=1 once a stop began, and an
/// intake that opens after the stop's first step closes itself.
@Suite struct DaemonRunTests {
    @Test func readyOnlyBeforeAStopAndOnlyOnce() {
        let run = DaemonRun(gate: Gate(waitingFor: []))
        #expect(!run.isStopping)
        #expect(run.becomeReady())
        #expect(!run.becomeReady(), "READY=1 is sent once")
        _ = run.beginStopping()
        #expect(run.isStopping)

        let stoppedFirst = DaemonRun(gate: Gate(waitingFor: []))
        _ = stoppedFirst.beginStopping()
        #expect(!stoppedFirst.becomeReady(), "no READY=1 after STOPPING=1")
    }

    @Test func anIntakeOpenedAfterTheStopBeganIsToldToStop() {
        let run = DaemonRun(gate: Gate(waitingFor: []))
        #expect(!run.opened { _ in }, "opened before the stop: the stop closes it")
        _ = run.beginStopping()
        #expect(run.opened { _ in }, "opened after the stop's first step: it stops itself")
    }

    // MARK: The stop's time budget (the steps after the drain bound their waits by what is left)

    @Test func theStopBudgetCountsFromTheBeginningOfTheStop() async throws {
        let run = DaemonRun(gate: Gate(waitingFor: []))
        #expect(run.timeLeftToStop(within: .seconds(75)) == .seconds(75), "no stop yet: all of it")
        let before = ContinuousClock.now
        _ = run.beginStopping()
        try await Task.sleep(for: .milliseconds(200))
        let left = run.timeLeftToStop(within: .seconds(75))
        // Counted from beginStopping: at least the pause has gone, at most all since `before`.
        #expect(left <= .seconds(75) - .milliseconds(200))
        #expect(left >= .seconds(75) - (ContinuousClock.now - before))
        // A second call to beginStopping does not restart the count.
        _ = run.beginStopping()
        #expect(run.timeLeftToStop(within: .seconds(75)) <= left)
        #expect(run.timeLeftToStop(within: .milliseconds(100)) == .zero, "spent: nothing left, never negative")
    }

    /// With `request_timeout_seconds` near its maximum, the SQS loops' settling would have
    /// waited for an hour; it is bounded by the stop's budget instead.
    @Test func theBudgetFitsTheUnitsStopTimeout() throws {
        let unit = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd/secrets-delegate.service")
        let text = try String(contentsOf: unit, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") })
        let seconds = try #require(Int(line.dropFirst("TimeoutStopSec=".count).prefix { $0.isNumber }))
        #expect(line.hasSuffix("\(seconds)s"), "\(line)")
        #expect(DelegateDaemon.gracePeriod < DelegateDaemon.stopBudget, "the drain fits in the budget")
        // The budget, then the credentials socket's drain and the wait for its refusals to be
        // read, the task socket's drain, then a margin for closing the rest.
        #expect(
            DelegateDaemon.stopBudget + DelegateDaemon.credentialsDrainTime + CredentialSocketServer.refusalDrainTime
                + DelegateDaemon.taskSocketDrainTime + .seconds(5) <= .seconds(seconds))
    }

    /// Every target the service waits for is named where the docs tell an operator why a unit
    /// asking for a credential hangs at boot: README's troubleshooting row and INTERFACE section
    /// 11 (a target added to the unit and not there sent operators to the wrong cause).
    @Test func everyTargetTheServiceWaitsForIsInTheBootHangDocs() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let unit = try String(contentsOf: root.appendingPathComponent("systemd/secrets-delegate.service"), encoding: .utf8)
        let targets = unit.split(separator: "\n").filter { $0.hasPrefix("After=") }
            .flatMap { $0.dropFirst("After=".count).split(separator: " ") }.map(String.init)
            .filter { $0.hasSuffix(".target") && $0 != "network.target" }
        #expect(targets.contains("network-online.target") && targets.contains("time-sync.target"), "\(targets)")
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let row = try #require(readme.split(separator: "\n").first { $0.contains("hangs at boot until its start timeout") })
        let interface = try String(contentsOf: root.appendingPathComponent("docs/INTERFACE.md"), encoding: .utf8)
        let section = try #require(
            interface.components(separatedBy: "## 11.").dropFirst().first?.components(separatedBy: "## 12.").first)
        for target in targets {
            #expect(row.contains("After=\(target)"), "README's boot-hang row lacks \(target)")
            #expect(section.contains("After=\(target)"), "INTERFACE section 11 lacks \(target)")
        }
    }
}
