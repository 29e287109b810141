import Glibc
import Testing

@testable import TaskQueue

/// A group of many members needs a larger buffer than the first: the lookup grows it while the
/// database answers ERANGE, and only then takes a failure for one.
@Suite struct UserDatabaseTests {
    @Test func theBufferDoublesWhileTheLookupAnswersERANGE() {
        var sizes: [Int] = []
        let answer: UserDatabase.Answer<Int> = UserDatabase.answer(startingAt: 64 * 1024) { buffer, size in
            sizes.append(size)
            guard size >= 300_000 else { return (ERANGE, nil) }
            buffer[size - 1] = 7
            return (0, Int(buffer[size - 1]))
        }
        #expect(answer.value == 7)
        #expect(sizes == [65_536, 131_072, 262_144, 524_288])
    }

    /// An entry that is not there is told from a database that could not answer.
    @Test func noEntryIsAbsentAndAFailureIsUnavailable() {
        func answer(_ status: Int32, _ value: Int?) -> String {
            switch UserDatabase.answer(startingAt: 1024, { _, _ in (status, value) }) {
            case .found(let value): "found \(value)"
            case .absent: "absent"
            case .unavailable(let errno): "unavailable \(errno)"
            }
        }
        #expect(answer(0, 5) == "found 5")
        #expect(answer(0, nil) == "absent")
        #expect(answer(ENOENT, nil) == "absent")
        #expect(answer(EIO, nil) == "unavailable \(EIO)")
        #expect(answer(EMFILE, nil) == "unavailable \(EMFILE)")
        #expect(answer(EIO, 1) == "unavailable \(EIO)")
    }

    @Test func anotherFailureOrNoEntryIsNil() {
        var calls = 0
        let failed: Int? = UserDatabase.answer(startingAt: 1024) { _, _ in calls += 1; return (EIO, 1) }.value
        let none: Int? = UserDatabase.answer(startingAt: 1024) { _, _ in calls += 1; return (0, nil) }.value
        #expect(failed == nil && none == nil)
        #expect(calls == 2)
    }

    @Test func growingStopsAtTheLargestBuffer() {
        var sizes: [Int] = []
        let answer: UserDatabase.Answer<Int> = UserDatabase.answer(startingAt: 10 << 20) { _, size in
            sizes.append(size)
            return (ERANGE, 1)
        }
        #expect(answer.value == nil && answer.failure != nil)
        #expect(sizes == [10 << 20, 20 << 20, 40 << 20, 64 << 20])
    }

    /// The real lookups still find what this host has.
    @Test func rootAndItsGroupAreFound() {
        #expect(PeerPolicy.lookUpUser("root").value == 0)
        #expect(PeerPolicy.lookUpGroup("root").value == 0)
        #expect(PeerPolicy.userName(ofUID: 0) == "root")
        #expect(PeerPolicy.lookUpGroups(ofUID: 0)?.contains(0) == true)
        #expect(PeerPolicy.lookUpGroup("no-such-group-here").value == nil)
    }
}
