import Foundation
import Logging
import TestSupport
import Testing

@testable import Delegate
@testable import TaskQueue

/// The result sweep's clock: a step of the wall clock is no age for the results.
@Suite struct SweepClockTests {
    private static let wall = Date(timeIntervalSince1970: 1_800_000_000)

    /// The wall clock set two hours forward between two readings a minute apart: the sweep's
    /// now moves by the minute only, so a result written just before the step is not taken for
    /// two hours old (a retention of an hour would have deleted it); later readings move with the
    /// elapsed time.
    @Test func aForwardStepIsTakenOut() {
        var clock = SweepClock()
        let start = ContinuousClock.now
        #expect(clock.now(wall: Self.wall, elapsed: start) == (Self.wall, 0))
        let stepped = clock.now(wall: Self.wall.addingTimeInterval(7_260), elapsed: start + .seconds(60))
        #expect(stepped == (Self.wall.addingTimeInterval(60), 7_200))
        #expect(
            clock.now(wall: Self.wall.addingTimeInterval(7_320), elapsed: start + .seconds(120)).now
                == Self.wall.addingTimeInterval(120))
    }

    /// The sweep's own lateness (a few seconds) is no step.
    @Test func ordinaryTimeIsLeftAsItIs() {
        var clock = SweepClock()
        let start = ContinuousClock.now
        _ = clock.now(wall: Self.wall, elapsed: start)
        #expect(
            clock.now(wall: Self.wall.addingTimeInterval(64), elapsed: start + .seconds(60)) == (
                Self.wall.addingTimeInterval(64), 0
            ))
        #expect(clock.offset == 0)
    }

    /// A clock set forward, then back as far: the second step gives the first back. A clock set
    /// back, then right again: results written meanwhile carry times an hour behind, so the step
    /// forward is taken out; set back and forward again and again, what is taken out stays that
    /// hour, never the sum of the steps.
    @Test func stepsBackGiveBackStepsForwardAndTheOffsetStaysBounded() {
        var clock = SweepClock()
        let start = ContinuousClock.now
        var elapsed: Duration = .zero
        var wall = Self.wall
        func reading(moving seconds: TimeInterval) -> Date {
            elapsed += .seconds(60)
            wall = wall.addingTimeInterval(60 + seconds)
            return clock.now(wall: wall, elapsed: start + elapsed).now
        }
        _ = clock.now(wall: wall, elapsed: start)
        _ = reading(moving: 3_600)
        #expect(clock.offset == 3_600)
        #expect(reading(moving: -3_600) == wall)
        #expect(clock.offset == 0)
        for _ in 1...3 {
            #expect(reading(moving: -3_600) == wall, "a step back beyond the offset is left as it is")
            #expect(reading(moving: 3_600) == wall.addingTimeInterval(-3_600))
            #expect(clock.offset == 3_600)
        }
    }

    /// The daemon's sweep reads its clocks through it: a result written just before the wall
    /// clock is set two hours forward survives the next pass under a retention of an hour, and
    /// the step is logged.
    @Test func theDaemonsSweepDoesNotAgeResultsByAStep() async throws {
        let directory = try TemporaryDirectory()
        let spoolPath = directory.path("spool")
        try FileManager.default.createDirectory(atPath: spoolPath, withIntermediateDirectories: true)
        let configuration = try DelegateConfiguration.load(
            tomlText: "[queue]\nspool_dir = \"\(spoolPath)\"\nresult_retention_seconds = 3600\n", environment: [:],
            hostName: "sweep")
        let wall = ManualClock()
        let log = LogRecorder()
        let daemon = try DelegateDaemon(
            settings: .init(
                configuration: configuration, configurationPath: nil, configurationRequired: false, environment: [:]),
            notifier: SilentNotifier(), logger: log.logger(), clock: wall, httpClient: ScriptedHTTPClient())
        let spool = try #require(daemon.components.spool)
        try spool.prepare()
        let result = spoolPath + "/done/kept.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: result))
        try FileManager.default.setAttributes([.modificationDate: wall.now()], ofItemAtPath: result)
        var clock = SweepClock()
        let elapsed = ManualMonotonicClock()
        daemon.sweepResultsOnce(spool, clock: &clock, elapsed: elapsed.now)
        wall.advance(by: 7_200)
        elapsed.advance(by: .seconds(60))
        daemon.sweepResultsOnce(spool, clock: &clock, elapsed: elapsed.now)
        #expect(FileManager.default.fileExists(atPath: result), "the result was deleted as two hours old")
        #expect(log.allText.contains("the wall clock stepped forward by 7140 s"), "\(log.allText)")
        // The whole line, as on-call filters it: its event and how far behind the sweep reads.
        let stepped = log.records.filter { $0.contains("event=wall-clock-stepped") }
        #expect(stepped.count == 1, "\(log.records)")
        #expect(stepped.first?.contains("the results' retention reads it 7140 s behind") == true, "\(stepped)")
        #expect(stepped.first?.contains("offset_seconds=7140") == true, "\(stepped)")
        // Its real age past the retention, it goes.
        wall.advance(by: 3_600)
        elapsed.advance(by: .seconds(3_600))
        daemon.sweepResultsOnce(spool, clock: &clock, elapsed: elapsed.now)
        #expect(!FileManager.default.fileExists(atPath: result))
    }
}
