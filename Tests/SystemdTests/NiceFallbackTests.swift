import CLinuxShim
import Testing

/// The decision of the process's `setpriority` replacement (CLinuxShim.h) after the kernel
/// refused to lower a nice value: the closest value RLIMIT_NICE allows, never above the
/// thread's current value, never below the one asked for.
@Suite struct NiceFallbackTests {
    struct Case: Sendable, CustomStringConvertible {
        let requested: Int32
        let current: Int32
        let limit: UInt64
        let expected: Int32
        var description: String { "requested \(requested), current \(current), RLIMIT_NICE \(limit) → \(expected)" }
    }

    @Test(arguments: [
        // No RLIMIT_NICE (the default): the thread keeps what it has.
        Case(requested: -4, current: 0, limit: 0, expected: 0),
        Case(requested: -2, current: 0, limit: 0, expected: 0),
        // Limits up to 20 allow nothing below 0.
        Case(requested: -4, current: 0, limit: 20, expected: 0),
        // Some room: as far as the limit allows (20 - 22 = -2), not to -4.
        Case(requested: -4, current: 0, limit: 22, expected: -2),
        Case(requested: -4, current: 0, limit: 23, expected: -3),
        // Room for all that was asked: exactly that, never more.
        Case(requested: -4, current: 0, limit: 24, expected: -4),
        Case(requested: -4, current: 0, limit: 40, expected: -4),
        Case(requested: -4, current: 0, limit: UInt64.max, expected: -4),
        // A limit beyond 40 (or infinite) still stops at -20, the kernel's floor.
        Case(requested: -30, current: 0, limit: 100, expected: -20),
        Case(requested: -30, current: 0, limit: UInt64.max, expected: -20),
        // A thread already below what the limit allows keeps its value: never lower priority.
        Case(requested: -4, current: -3, limit: 20, expected: -3),
        // A thread started at a positive nice value moves down as far as the limit allows.
        Case(requested: -4, current: 5, limit: 18, expected: 2),
        Case(requested: -4, current: 5, limit: 0, expected: 5),
    ])
    func choosesTheClosestAllowedNiceValue(_ example: Case) {
        #expect(clinuxshim_nice_fallback(example.requested, example.current, example.limit) == example.expected)
    }
}
