import Testing

@testable import Delegate

/// The memory of SQS messages whose result was sent: kept for a while from the last time it was
/// remembered, bounded in number.
@Suite struct AnsweredMessagesTests {
    let start = ContinuousClock.now

    func key(_ id: Int, queue: String = "q") -> AnsweredMessages.Key {
        AnsweredMessages.Key(queueURL: queue, messageID: "m-\(id)")
    }

    @Test func aMessageIsRememberedUntilItsTimeIsUpAndOnlyForItsQueue() {
        let answered = AnsweredMessages()
        answered.remember(key(1), now: start, keptFor: .seconds(180))
        #expect(answered.contains(key(1), now: start + .seconds(179)))
        #expect(!answered.contains(key(1, queue: "other"), now: start + .seconds(1)))
        #expect(!answered.contains(key(2), now: start + .seconds(1)))
        #expect(!answered.contains(key(1), now: start + .seconds(180)))
        #expect(answered.count(now: start + .seconds(180)) == 0)
    }

    /// A message id past SQS's (UUIDs, 36 bytes; at most 128 taken) is not remembered: an
    /// endpoint sending ids of megabytes would otherwise hold 10,000 of them.
    @Test func anIdLongerThanAnySQSGivesIsNotRemembered() {
        let answered = AnsweredMessages()
        let long = AnsweredMessages.Key(queueURL: "q", messageID: String(repeating: "m", count: 129))
        let longest = AnsweredMessages.Key(queueURL: "q", messageID: String(repeating: "m", count: 128))
        answered.remember(long, now: start, keptFor: .seconds(180))
        answered.remember(longest, now: start, keptFor: .seconds(180))
        #expect(!answered.contains(long, now: start + .seconds(1)))
        #expect(answered.contains(longest, now: start + .seconds(1)))
    }

    /// A key names the queue however its URL is spelt (Amazon SQS's hosts of a region are one
    /// place; any other host is its scheme, host and port in any case), and keeps the spelling it
    /// came through.
    @Test func aKeyNamesTheQueueHoweverItsURLIsSpelt() {
        let plain = AnsweredMessages.Key(queueURL: "https://sqs.us-east-1.amazonaws.com/1/q", messageID: "m")
        let dualStack = AnsweredMessages.Key(queueURL: "https://sqs.us-east-1.api.aws/1/q", messageID: "m")
        #expect(plain == dualStack && plain.hashValue == dualStack.hashValue)
        #expect(dualStack.queueURL == "https://sqs.us-east-1.api.aws/1/q")
        #expect(plain != AnsweredMessages.Key(queueURL: "https://sqs.us-west-2.amazonaws.com/1/q", messageID: "m"))
        #expect(plain != AnsweredMessages.Key(queueURL: "https://sqs.us-east-1.amazonaws.com/1/r", messageID: "m"))
        #expect(plain != AnsweredMessages.Key(queueURL: "https://sqs.us-east-1.amazonaws.com/1/q", messageID: "n"))
        let local = AnsweredMessages.Key(queueURL: "http://127.0.0.1:9/1/q", messageID: "m")
        #expect(local == AnsweredMessages.Key(queueURL: "HTTP://127.0.0.1:9/1/q/", messageID: "m"))
        #expect(local != AnsweredMessages.Key(queueURL: "http://localhost:9/1/q", messageID: "m"))
    }

    /// A message whose deletes keep failing comes back every lease: each time renews it.
    @Test func rememberingAgainRenewsTheTime() {
        let answered = AnsweredMessages()
        answered.remember(key(1), now: start, keptFor: .seconds(10))
        answered.remember(key(2), now: start, keptFor: .seconds(10))
        answered.remember(key(1), now: start + .seconds(8), keptFor: .seconds(10))
        #expect(answered.count(now: start + .seconds(12)) == 1)
        #expect(answered.contains(key(1), now: start + .seconds(17)))
        #expect(!answered.contains(key(2), now: start + .seconds(12)))
        #expect(!answered.contains(key(1), now: start + .seconds(18)))
        #expect(answered.count(now: start + .seconds(18)) == 0)
    }

    /// The poller's check: a remembered message is renewed by it, one not remembered (or whose
    /// time is up) is not added.
    @Test func renewIfRememberedRenewsOnlyARememberedMessage() {
        let answered = AnsweredMessages()
        answered.remember(key(1), now: start, keptFor: .seconds(10))
        #expect(answered.renewIfRemembered(key(1), now: start + .seconds(8), keptFor: .seconds(10)))
        #expect(answered.contains(key(1), now: start + .seconds(17)))
        #expect(!answered.renewIfRemembered(key(2), now: start + .seconds(8), keptFor: .seconds(10)))
        #expect(!answered.contains(key(2), now: start + .seconds(9)))
        #expect(!answered.renewIfRemembered(key(1), now: start + .seconds(18), keptFor: .seconds(10)))
    }

    /// An idle poll loop gives the memory back: what is due is forgotten without a new message.
    @Test func forgetDueDropsWhatIsDue() {
        let answered = AnsweredMessages()
        answered.remember(key(1), now: start, keptFor: .seconds(10))
        answered.remember(key(2), now: start + .seconds(5), keptFor: .seconds(10))
        answered.forgetDue(now: start + .seconds(12))
        #expect(answered.count(now: start + .seconds(12)) == 1)
        answered.forgetDue(now: start + .seconds(15))
        #expect(answered.count(now: start + .seconds(15)) == 0)
    }

    @Test func theLeastRecentlyRememberedGoFirstBeyondTheCapacity() {
        let answered = AnsweredMessages(capacity: 3)
        for id in 0..<5 {
            answered.remember(key(id), now: start + .seconds(id), keptFor: .seconds(600))
        }
        let now = start + .seconds(10)
        #expect(answered.count(now: now) == 3)
        #expect((0..<5).map { answered.contains(key($0), now: now) } == [false, false, true, true, true])
        // Renewing a remembered message at full capacity drops none; a new one drops the least
        // recently remembered (now 3, since 2 was renewed).
        answered.remember(key(2), now: now, keptFor: .seconds(600))
        #expect((0..<5).map { answered.contains(key($0), now: now) } == [false, false, true, true, true])
        answered.remember(key(5), now: now, keptFor: .seconds(600))
        #expect((0..<6).map { answered.contains(key($0), now: now) } == [false, false, true, false, true, true])
    }

    /// After a reload shortened `visibility_seconds`, a message remembered later with the shorter
    /// time is forgotten at its own time, not held by an older one's.
    @Test func aShorterTimeAfterALongerOneIsKept() {
        let answered = AnsweredMessages()
        answered.remember(key(1), now: start, keptFor: .seconds(100))
        answered.remember(key(2), now: start + .seconds(1), keptFor: .seconds(5))
        #expect(answered.contains(key(2), now: start + .seconds(5)))
        #expect(!answered.contains(key(2), now: start + .seconds(6)))
        #expect(answered.contains(key(1), now: start + .seconds(6)))
    }

    /// Room made by dropping messages whose time is not up is counted (the poller warns: one of
    /// them whose delete did not take would run again); dropping ones whose time is up is not.
    @Test func messagesForgottenBeforeTheirTimeAreCounted() {
        let answered = AnsweredMessages(capacity: 3)
        let early = (0..<5).map { answered.remember(key($0), now: start, keptFor: .seconds(180)) }
        #expect(early == [0, 0, 0, 1, 1])
        // Renewing one remembered drops none.
        #expect(answered.remember(key(4), now: start, keptFor: .seconds(180)) == 0)
        // Their time up, the three make room without a count.
        let later = start + .seconds(181)
        #expect((5..<8).map { answered.remember(key($0), now: later, keptFor: .seconds(180)) } == [0, 0, 0])
    }

    /// Many entries going out of date one after another (the order is compacted as it goes) keep
    /// the live ones exactly.
    @Test func aLongRunKeepsExactlyTheLiveEntries() {
        let answered = AnsweredMessages(capacity: 5_000)
        for id in 0..<20_000 {
            answered.remember(key(id), now: start + .milliseconds(id), keptFor: .seconds(3))
        }
        let now = start + .milliseconds(20_000)
        // Live: remembered after now - 3 s, i.e. ids 17,001...19,999.
        #expect(answered.count(now: now) == 2_999)
        #expect(answered.contains(key(17_001), now: now))
        #expect(!answered.contains(key(17_000), now: now))
        #expect(answered.contains(key(19_999), now: now))
    }

    /// Messages that keep coming back, with no result sent and no empty receive in between,
    /// renew without end: the record of renewals stays bounded all the same, even behind a
    /// message not yet due, and every message renewed is still remembered.
    @Test func renewalsWithoutEndKeepTheRecordBounded() {
        let answered = AnsweredMessages(capacity: 4)
        answered.remember(key(0), now: start, keptFor: .seconds(1_000))
        for id in 1...3 { answered.remember(key(id), now: start, keptFor: .seconds(100)) }
        for step in 1...20_000 {
            let now = start + .milliseconds(step)
            #expect(answered.renewIfRemembered(key(1 + step % 3), now: now, keptFor: .seconds(100)))
        }
        #expect(answered.orderCount <= 4 * 4 + 1, "\(answered.orderCount) entries")
        let now = start + .milliseconds(20_000)
        #expect((0...3).allSatisfy { answered.contains(key($0), now: now) })
        #expect(answered.count(now: now) == 4)
    }

    @Test func theTimeKeptCoversTwoLeasesAndAMinute() {
        #expect(AnsweredMessages.keptFor(visibilitySeconds: 60) == .seconds(180))
    }
}
