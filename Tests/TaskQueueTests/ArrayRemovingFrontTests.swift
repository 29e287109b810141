import Testing

@testable import TaskQueue

/// A socket buffer that held a large line keeps no more memory than it still holds.
@Suite struct ArrayRemovingFrontTests {
    @Test func aLargeBufferLeftMostlyEmptyIsGivenUp() {
        var buffer = [UInt8](repeating: 1, count: 1 << 20) + [2, 3]
        #expect(buffer.capacity >= 1 << 20)
        buffer.removeFront(1 << 20)
        #expect(buffer == [2, 3])
        #expect(buffer.capacity < 1024)
    }

    @Test func aSmallBufferOrOneStillMostlyFullKeepsItsAllocation() {
        var small = [UInt8](repeating: 1, count: 1000)
        let smallCapacity = small.capacity
        small.removeFront(990)
        #expect(small.count == 10 && small.capacity == smallCapacity)

        var full = [UInt8](repeating: 1, count: 1 << 20)
        let fullCapacity = full.capacity
        full.removeFront(1 << 10)
        #expect(full.count == (1 << 20) - (1 << 10) && full.capacity == fullCapacity)
    }

    @Test func anEmptiedBufferKeepsOnlyASmallAllocation() {
        var large = [UInt8](repeating: 1, count: 60 * 1024)
        large.empty()
        #expect(large.isEmpty && large.capacity <= [UInt8].keptCapacity)
        var small = [UInt8](repeating: 1, count: 1000)
        let smallCapacity = small.capacity
        small.empty()
        #expect(small.isEmpty && small.capacity == smallCapacity)
    }
}
