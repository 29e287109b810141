/// Polls `condition` every `interval` until it holds or `timeout` passes (then asks once more);
/// returns whether it held. The one polling helper of the tests: wait with it and a generous
/// timeout, then assert the outcome (`#expect(await eventually { ... })`, or `try #require`
/// where the test cannot go on without it). Nothing here measures time.
public func eventually(
    within timeout: Duration = .seconds(90), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        // Cancelled (a test's time limit ran out, a sibling task failed): one last look, not a
        // loop that spins without pausing until the deadline.
        do { try await Task.sleep(for: interval) } catch { break }
    }
    return try await condition()
}
