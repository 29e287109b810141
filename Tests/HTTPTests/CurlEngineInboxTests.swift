import Testing

@testable import HTTP

/// The engine thread is woken (a write to curl's socket pair) once per batch of requests it has
/// not taken yet, not once per request, and never left asleep with a request waiting.
@Suite struct CurlEngineInboxTests {
    @Test func oneWakeupPerBatchAndAnotherAfterEachTake() {
        var inbox = CurlEngine.Inbox()
        let requests = (0..<3).map { _ in PendingRequest(request: HTTPRequest(method: "GET", url: "http://127.0.0.1:9/")) }
        inbox.submitted.append(requests[0])
        let first = inbox.needsWakeup()
        #expect(first, "the first request wakes the thread")
        inbox.submitted.append(requests[1])
        let second = inbox.needsWakeup()
        #expect(!second, "the wakeup already sent covers it")
        inbox.cancelled.append(requests[0])
        let cancel = inbox.needsWakeup()
        #expect(!cancel, "a cancel as well")

        let taken = inbox.take()
        #expect(taken.submitted.count == 2 && taken.cancelled.count == 1 && !taken.stopping)
        #expect(inbox.submitted.isEmpty && inbox.cancelled.isEmpty)

        inbox.submitted.append(requests[2])
        let afterTake = inbox.needsWakeup()
        #expect(afterTake, "after a take, the next request wakes the thread again")
        let again = inbox.take()
        #expect(again.submitted.count == 1)
        let empty = inbox.take()
        #expect(empty.submitted.isEmpty)
    }
}
