import Testing

@testable import Delegate

/// The memory of SQS messages whose result was sent: kept for a while, bounded in number.
@Suite struct AnsweredMessagesTests {
    let start = ContinuousClock.now

    func key(_ id: Int, queue: String = "q") -> AnsweredMessages.Key {
        AnsweredMessages.Key(queueURL: queue, messageID: "m-\(id)")
    }

    @Test func aMessageIsRememberedUntilItsTimeIsUpAndOnlyForItsQueue() {
        let answered = AnsweredMessages()
        answered.insert(key(1), now: start, keptFor: .seconds(180))
        #expect(answered.contains(key(1), now: start + .seconds(179)))
        #expect(!answered.contains(key(1, queue: "other"), now: start + .seconds(1)))
        #expect(!answered.contains(key(2), now: start + .seconds(1)))
        #expect(!answered.contains(key(1), now: start + .seconds(180)))
        #expect(answered.count(now: start + .seconds(180)) == 0)
    }

    @Test func theOldestGoFirstBeyondTheCapacity() {
        let answered = AnsweredMessages(capacity: 3)
        for id in 0..<5 {
            answered.insert(key(id), now: start + .seconds(id), keptFor: .seconds(600))
        }
        let now = start + .seconds(10)
        #expect(answered.count(now: now) == 3)
        #expect((0..<5).map { answered.contains(key($0), now: now) } == [false, false, true, true, true])
    }

    @Test func insertingTwiceKeepsOneEntryWithItsFirstTime() {
        let answered = AnsweredMessages()
        answered.insert(key(1), now: start, keptFor: .seconds(10))
        answered.insert(key(1), now: start + .seconds(5), keptFor: .seconds(10))
        #expect(answered.count(now: start + .seconds(6)) == 1)
        #expect(!answered.contains(key(1), now: start + .seconds(10)))
    }

    /// Many entries going out of date one after another (the order is compacted as it goes) keep
    /// the live ones exactly.
    @Test func aLongRunKeepsExactlyTheLiveEntries() {
        let answered = AnsweredMessages(capacity: 5_000)
        for id in 0..<20_000 {
            answered.insert(key(id), now: start + .milliseconds(id), keptFor: .seconds(3))
        }
        let now = start + .milliseconds(20_000)
        // Live: inserted after now - 3 s, i.e. ids 17,001...19,999.
        #expect(answered.count(now: now) == 2_999)
        #expect(answered.contains(key(17_001), now: now))
        #expect(!answered.contains(key(17_000), now: now))
        #expect(answered.contains(key(19_999), now: now))
    }

    @Test func theTimeKeptCoversTwoLeasesAndAMinute() {
        #expect(AnsweredMessages.keptFor(visibilitySeconds: 60) == .seconds(180))
    }
}
