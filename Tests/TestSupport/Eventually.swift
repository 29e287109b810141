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
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
