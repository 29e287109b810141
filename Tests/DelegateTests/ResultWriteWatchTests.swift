import Testing

@testable import Delegate

/// The spool's table of result writes in progress: a write is told once it has taken the time
/// given, counted (unless its result is counted already) until it returns; one that returned in
/// time is never told.
@Suite struct ResultWriteWatchTests {
    @Test func aWriteIsToldOnceAndCountedUntilItReturns() {
        let watch = ResultWriteWatch()
        let unwritten = InFlightCount()
        let start = ContinuousClock.now
        let quick = watch.begin("writing the result for a.json", resultID: "a", counted: true, now: start)
        let slow = watch.begin("writing the result for b.json", resultID: "b", counted: true, now: start)
        let retried = watch.begin("keeping the result for c.json", resultID: "c", counted: false, now: start)
        #expect(watch.end(quick, unwritten: unwritten) == nil, "returned in time: never told")

        #expect(watch.tellHung(after: .seconds(60), now: start + .seconds(59), unwritten: unwritten).isEmpty)
        let told = watch.tellHung(after: .seconds(60), now: start + .seconds(60), unwritten: unwritten)
        #expect(Set(told.map(\.what)) == ["writing the result for b.json", "keeping the result for c.json"])
        #expect(unwritten.current == 1, "only the write whose result was not counted yet")
        #expect(watch.tellHung(after: .seconds(60), now: start + .seconds(600), unwritten: unwritten).isEmpty, "told once")

        #expect(watch.end(slow, unwritten: unwritten)?.resultID == "b")
        #expect(watch.end(retried, unwritten: unwritten)?.resultID == "c")
        #expect(unwritten.current == 0)
    }
}
