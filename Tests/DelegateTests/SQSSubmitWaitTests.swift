import Foundation
import HTTP
import Sealing
import SQS
import Synchronization
import TestSupport
import Testing

@testable import Delegate

/// `submit --sqs --wait` on a reply queue others share, against a scripted SQS endpoint.
@Suite struct SQSSubmitWaitTests {
    /// Its own result is taken and every copy of it deleted (a task run twice sends two); another
    /// task's result is made visible again at once for its own waiter.
    @Test func theWaiterDeletesEveryCopyOfItsResultAndPutsBackTheRest() async throws {
        let result = Self.result(id: "t-1")
        let (outcome, recorded) = try await waitWithReplies([
            ("rh-mine", "t-1", result.jsonLine), ("rh-other", "t-2", "{}"), ("rh-copy", "t-1", result.jsonLine),
        ])

        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"id\":\"t-1\""), "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(deleted.count == 2, "\(recorded.map(\.action))")
        #expect(deleted.contains { $0.contains("rh-mine") } && deleted.contains { $0.contains("rh-copy") })
        let putBack = recorded.filter { $0.action == "ChangeMessageVisibility" }.map(\.body)
        #expect(putBack.count == 1 && putBack.first?.contains("rh-other") == true, "\(putBack)")
    }

    /// --timeout bounds the send too: an SQS endpoint that takes the connection and never
    /// answers (a listening socket nobody accepts on) would hold each of three attempts for the
    /// request timeout (60 s here, so minutes); the submit ends at its 2 s instead, saying so.
    @Test(.timeLimit(.minutes(1))) func theTimeoutBoundsASendThatIsNeverAnswered() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        try #require(bound)
        let endpoint = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let destination = try destination(
            endpoint: endpoint, replyQueue: "replies", toml: "[aws]\nrequest_timeout_seconds = 60\nmax_attempts = 3")
        let task = Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8)
        let outcome = await TaskSubmitter(destination: .sqs(destination), wait: true, timeout: .seconds(2)).submit(task)
        #expect(outcome.status == 69, "\(outcome)")
        #expect(
            outcome.errorOutput.contains("could not be sent to \(endpoint)/123456789012/tasks within 2"), "\(outcome)")
    }

    /// `[aws]`'s timeouts reach the submit's client as they reach the daemon's: the connect
    /// timeout, and the request timeout to the millisecond (with a receive's wait on top).
    @Test func theSubmitClientTakesAWSTimeoutsAsTheDaemonDoes() throws {
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [aws]
                connect_timeout_seconds = 7.25
                request_timeout_seconds = 0.5
                max_attempts = 4
                """,
            environment: [:], hostName: "submit-options")
        let options = TaskSubmitter.clientOptions(configuration)
        #expect(options.connectTimeout == .milliseconds(7250))
        #expect(options.requestTimeout == .milliseconds(500) + .seconds(TaskSubmitter.replyPollSeconds))
        #expect(options.maxAttempts == 4)
    }

    /// A request timeout under a second is not cut to none: an empty receive answered as SQS
    /// answers it, once its 5 s wait is over (and 100 ms), comes within the 5.95 s a client has,
    /// and the result the next receive brings is taken (cut to whole seconds, the client gave up
    /// at 5 s on every receive, and the reply queue was "unreadable"). Four attempts, and four
    /// empty receives: a loaded host that misses an answer's 850 ms margin (or the send's 5.95 s)
    /// has the next attempt (cut to whole seconds, every attempt gives up).
    @Test(.timeLimit(.minutes(1))) func aRequestTimeoutUnderASecondLeavesRoomForTheReceivesWait() async throws {
        let result = Self.result(id: "t-1")
        let receives = Mutex(0)
        let (outcome, _) = try await waitWithReplies(
            timeout: .seconds(40), emptyReceiveHoldsItsWaitAnd: .milliseconds(100),
            awsTOML: "[aws]\nrequest_timeout_seconds = 0.95\nmax_attempts = 4"
        ) { _ in
            // The first four receives find nothing; the next brings the result.
            let empty = receives.withLock { count in
                count += 1
                return count <= 4
            }
            return empty ? [] : [("rh-mine", "t-1", result.jsonLine)]
        }
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"id\":\"t-1\""), "\(outcome)")
    }

    /// An SQS endpoint's error message reaches the terminal shown, not as it is: a line break or
    /// an escape sequence in it is written as `\u{..}`.
    @Test func anEndpointsErrorMessageIsShownNotWrittenAsItIs() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body:
                    #"{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"bad\u001b]0;pwned\u0007\nforged line"}"#
            )
        }
        defer { server.stop() }
        let destination = try destination(endpoint: server.baseURL)
        let outcome = await TaskSubmitter(destination: .sqs(destination), wait: false, timeout: .seconds(20))
            .submit(Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8))
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.errorOutput.contains("InvalidParameterValue"), "\(outcome)")
        let line = outcome.errorOutput.hasSuffix("\n") ? String(outcome.errorOutput.dropLast()) : outcome.errorOutput
        #expect(
            !line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F },
            "\(outcome.errorOutput.debugDescription)")
    }

    /// A write task's value is not shown in an error that quotes the request, as an endpoint or
    /// a proxy that echoes what it was sent would: the secret as written in the task (a string
    /// with an escape, and base64 bytes) is replaced by `<redacted>`.
    @Test(arguments: [
        #"{"id":"t-1","operation":"createSecret","params":{"name":"db","secretString":"hunter2-\"submit-echo"}}"#,
        #"{"id":"t-1","operation":"putSecretValue","params":{"name":"db","secretBinary":"aHVudGVyMi1zdWJtaXQtZWNobw=="}}"#,
    ])
    func aWriteTasksValueIsNotQuotedInASendError(task: String) async throws {
        let server = try LoopbackHTTPServer { request in
            ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body: String(
                    decoding: try! JSONSerialization.data(withJSONObject: [
                        "__type": "com.amazonaws.sqs#InvalidParameterValue", "message": "refused: \(request.bodyText)",
                    ]), as: UTF8.self))
        }
        defer { server.stop() }
        let destination = try destination(endpoint: server.baseURL)
        let outcome = await TaskSubmitter(destination: .sqs(destination), wait: false, timeout: .seconds(20))
            .submit(Data(task.utf8))
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.errorOutput.contains("<redacted>"), "\(outcome.errorOutput)")
        #expect(!outcome.errorOutput.contains("submit-echo"), "\(outcome.errorOutput)")
        #expect(!outcome.errorOutput.contains("aHVudGVyMi1zdWJtaXQtZWNobw"), "\(outcome.errorOutput)")
    }

    /// --timeout bounds the wait's other calls too: putting back another task's message on an
    /// endpoint that takes 90 s to answer would hold each of three attempts for the request
    /// timeout (20 s), a minute and more; the wait ends at its 20 s (and 5 s to settle) instead.
    /// (20 s, not less: under the whole suite's load on CI sending the task alone once took over
    /// 10 s.)
    @Test(.timeLimit(.minutes(1))) func theTimeoutBoundsPuttingBackAnotherTasksMessage() async throws {
        let (outcome, recorded) = try await waitWithReplies(
            timeout: .seconds(20), visibilityAnswerDelay: .seconds(90)
        ) { _ in [("rh-other", "t-2", "{}")] }
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.errorOutput.contains("no result for t-1"), "\(outcome)")
        // A delegate may be running it: not said to stay queued.
        #expect(
            outcome.errorOutput.contains("the task is queued or running, and its result will come to"), "\(outcome)")
        #expect(recorded.contains { $0.action == "ChangeMessageVisibility" }, "\(recorded.map(\.action))")
    }

    /// Other tasks' messages received as the deadline comes (by a receive less than two seconds
    /// before it) are all put back, not left hidden for their 30 s lease, and within 5 s of
    /// the deadline: putting back ten one after another, 700 ms each, would take 7 s.
    @Test(.timeLimit(.minutes(1))) func everyOtherMessageIsPutBackEvenPastTheDeadline() async throws {
        let others = (2...11).map { (handle: "rh-\($0)", taskID: "t-\($0)", body: "{}") }
        let sent = ArrivalTime()
        let (outcome, recorded) = try await waitWithReplies(
            timeout: .seconds(20), visibilityAnswerDelay: .milliseconds(700), receiveAnswerDelay: .milliseconds(300),
            lastReceiveReplies: others, sendArrived: sent
        ) { _ in [] }
        // (A bound of the contract's, --timeout and 5 s, with room for a loaded machine; from the
        // send's arrival, as the submit's start may wait long for a thread under the whole suite;
        // 20 s, as sending alone once took over 10 s there, and 28 s was once passed by 30 ms. One
        // after another, the put-backs would be cut off by the 5 s, which the loop below sees.)
        let sentAt = try #require(sent.instant.withLock { $0 })
        #expect(ContinuousClock.now - sentAt < .seconds(32))
        #expect(outcome.status == 69, "\(outcome)")
        let putBack = recorded.filter { $0.action == "ChangeMessageVisibility" }.map(\.body)
        for other in others {
            #expect(
                putBack.contains { $0.contains("\"\(other.handle)\"") },
                "\(other.handle) not put back: \(putBack.count)")
        }
    }

    /// Everything past the deadline shares one bound, 5 s from it: an answer 4.9 s late, then
    /// put-backs 4.9 s each, end 5 s after the deadline, not 5 s after the answer.
    @Test(.timeLimit(.minutes(1))) func theWaitEndsFiveSecondsAfterItsDeadlineAtMost() async throws {
        let others = (2...4).map { (handle: "rh-\($0)", taskID: "t-\($0)", body: "{}") }
        let lastReceive = ArrivalTime()
        // (20 s: under the whole suite's load, sending the task once took so long that no last
        // receive came within 10.)
        let (outcome, _) = try await waitWithReplies(
            timeout: .seconds(20), visibilityAnswerDelay: .milliseconds(4900), receiveAnswerDelay: .milliseconds(300),
            lastReceiveReplies: others, lastReceiveAnswerDelay: .milliseconds(4900), lastReceiveWaitEnded: lastReceive
        ) { _ in [] }
        #expect(outcome.status == 69, "\(outcome)")
        // That receive asks to wait what is left but for a fraction of a second, so its wait ends
        // in the deadline's last second: from there 6 s at most, and a margin of 3 s for a loaded
        // machine; each step its own 5 s would take 9.8 at least (timers never fire early).
        let waitEnded = try #require(lastReceive.instant.withLock { $0 })
        let took = ContinuousClock.now - waitEnded
        #expect(took < .seconds(9), "\(took)")
    }

    /// No receive asks SQS to wait past the timeout (SQS would go on waiting after the client
    /// gave up, and hide what came for 30 s): in the last second, one that does not wait, and
    /// no more.
    /// (20 s: under the whole suite's load on CI sending the task alone once took over 10 s. This
    /// endpoint answers every receive after 300 ms, whatever its wait: it is asked again and again.)
    /// A receive that came back past the earliest the deadline can be (the send's arrival and
    /// the timeout) may end the wait before its zero-wait receive: a loaded host. Every other run
    /// ends with it.
    @Test(.timeLimit(.minutes(1))) func noReceiveWaitsPastTheTimeout() async throws {
        let sent = ArrivalTime()
        let log = ReceiveLog()
        let timeout = Duration.seconds(20)
        let (outcome, _) = try await waitWithReplies(
            timeout: timeout, receiveAnswerDelay: .milliseconds(300), sendArrived: sent, receiveLog: log
        ) { _ in [] }
        #expect(outcome.status == 69, "\(outcome)")
        let receives = log.receives.withLock { $0 }
        let waits = receives.map(\.waits)
        #expect(waits.allSatisfy { (0...5).contains($0) }, "\(waits)")
        #expect(waits.filter { $0 == 0 }.count <= 1 && !waits.dropLast().contains(0), "\(waits)")
        let earliestDeadline = try #require(sent.instant.withLock { $0 }) + timeout
        let last = try #require(receives.last)
        #expect(last.waits == 0 || last.arrived + last.held >= earliestDeadline, "\(waits)")
        // The point: no wait asked for runs past the deadline, as receiveWait(left:) computes it
        // (below). The wait's deadline is set before its first receive is sent, so it is no later
        // than that receive's arrival and the timeout. Three seconds of allowance for the time a
        // receive took to arrive on a loaded host: one asking SQS's 5 s with a second left runs
        // past by four.
        let latestDeadline = try #require(receives.first).arrived + timeout
        for receive in receives {
            #expect(
                receive.arrived + .seconds(receive.waits) <= latestDeadline + .seconds(3),
                "a receive asked to wait \(receive.waits) s with \(latestDeadline - receive.arrived) left: \(waits)")
        }
    }

    /// A receive asks SQS to wait the whole seconds left to the deadline, 5 at most; in the last
    /// second, once, not at all.
    @Test func aReceiveWaitsTheWholeSecondsLeftAtMostFive() {
        let cases: [(left: Duration, waits: Int, last: Bool)] = [
            (.seconds(20), 5, false), (.seconds(5), 5, false), (.milliseconds(4999), 4, false),
            (.milliseconds(3700), 3, false), (.milliseconds(1000), 1, false), (.milliseconds(999), 0, true),
            (.zero, 0, true), (.seconds(-2), 0, true),
        ]
        for (left, waits, last) in cases {
            let wait = TaskSubmitter.receiveWait(left: left)
            #expect(wait.waitSeconds == waits && wait.last == last, "\(left): \(wait)")
        }
    }

    /// A result printed whose delete from the reply queue failed (the identity may not delete
    /// there, say) is still printed, with exit 0, and a warning on stderr says it stays on the
    /// queue: left, it comes back after its lease, a secret in the clear if unsealed, until the
    /// queue's retention ends. Before, nothing said so.
    @Test func aResultThatCouldNotBeDeletedIsPrintedWithAWarning() async throws {
        let result = Self.result(id: "t-1")
        let (outcome, recorded) = try await waitWithReplies(
            deleteAnswer: ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body: #"{"__type":"com.amazonaws.sqs#AccessDenied","message":"not allowed to delete"}"#)
        ) { _ in [("rh-mine", "t-1", result.jsonLine)] }
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"randomPassword\":\"pw\""), "\(outcome)")
        #expect(outcome.errorOutput.contains("warning: the result of t-1 could not be deleted from"), "\(outcome)")
        #expect(outcome.errorOutput.contains("AccessDenied"), "\(outcome)")
        #expect(recorded.contains { $0.action == "DeleteMessage" })
        // Deleted, it says nothing.
        let (clean, _) = try await waitWithReplies { _ in [("rh-mine", "t-1", result.jsonLine)] }
        #expect(clean.status == 0 && clean.errorOutput.isEmpty, "\(clean)")
    }

    /// An answer over the response limit (ten large messages) makes the wait receive one message
    /// at a time, as the delegate's own receives do, not fail.
    @Test func anAnswerOverTheResponseLimitIsReceivedOneMessageAtATime() async throws {
        let result = Self.result(id: "t-1")
        let large = String(repeating: "x", count: 450_000)
        let receives = Mutex(0)
        let (outcome, recorded) = try await waitWithReplies { _ in
            receives.withLock { count in
                count += 1
                return count == 1
                    ? (2...11).map { (handle: "rh-\($0)", taskID: "t-\($0)", body: large) }
                    : [("rh-mine", "t-1", result.jsonLine)]
            }
        }
        #expect(outcome.status == 0, "\(outcome)")
        let sizes = recorded.filter { $0.action == "ReceiveMessage" }.map { body -> Int in
            let json = try? JSONSerialization.jsonObject(with: Data(body.body.utf8)) as? [String: Any]
            return json?["MaxNumberOfMessages"] as? Int ?? -1
        }
        #expect(sizes == [10, 1], "\(sizes)")
    }

    /// A message that carries the task's id but no result of it (anyone who may send to the reply
    /// queue can send one) is neither taken nor deleted, and the wait goes on to the real result.
    @Test func aMessageNamingTheTaskButHoldingNoResultOfItIsLeftAlone() async throws {
        let (result, other) = (Self.result(id: "t-1"), Self.result(id: "t-9"))
        let (outcome, recorded) = try await waitWithReplies([
            ("rh-junk", "t-1", "not a result"), ("rh-wrong", "t-1", other.jsonLine),
            ("rh-mine", "t-1", result.jsonLine),
        ])

        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"id\":\"t-1\""), "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(deleted.count == 1 && deleted.first?.contains("rh-mine") == true, "\(deleted)")
    }

    /// With --seal, a result of the task's id is taken only if it opens with the submission's key:
    /// a forged sealed result (another key), an unsealed value and a success without a result are
    /// left, and the sealed result that opens is printed opened.
    @Test func withSealOnlyAResultThatOpensIsTaken() async throws {
        let (outcome, recorded) = try await waitWithReplies(seal: true) { sentTask in
            let sealTo =
                (try? JSONSerialization.jsonObject(with: Data(sentTask.utf8)) as? [String: Any])?["sealTo"] as? String
            let real = try! Self.result(id: "t-1").sealed(to: try! SealingKey(base64: sealTo ?? ""))
            let forged = try! Self.result(id: "t-1").sealed(
                to: try! SealingKey(publicKey: HPKE.generateKeyPair().publicKey))
            var empty = Self.result(id: "t-1")
            empty.result = nil  // a success with nothing in it: every real success carries a result
            return [
                ("rh-forged", "t-1", forged.jsonLine), ("rh-plain", "t-1", Self.result(id: "t-1").jsonLine),
                ("rh-empty", "t-1", empty.jsonLine), ("rh-real", "t-1", real.jsonLine),
            ]
        }

        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"randomPassword\":\"pw\""), "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(deleted.count == 1 && deleted.first?.contains("rh-real") == true, "\(deleted)")
    }

    /// On a FIFO task queue with --seal, a result of the id sealed to another key is what a send
    /// SQS dropped as a duplicate gets (the first submission's): the timeout says so.
    @Test func aFIFOSealedWaitThatSawOnlyAnotherKeysResultSaysWhy() async throws {
        let (outcome, _) = try await waitWithReplies(seal: true, timeout: .seconds(20), taskQueue: "tasks.fifo") { _ in
            let first = try! Self.result(id: "t-1").sealed(
                to: try! SealingKey(publicKey: HPKE.generateKeyPair().publicKey))
            return [("rh-first", "t-1", first.jsonLine)]
        }
        #expect(outcome.status == 69, "\(outcome)")
        #expect(
            outcome.errorOutput.contains("a FIFO task queue drops a task sent again with the same id"), "\(outcome)")

        let (standard, _) = try await waitWithReplies(seal: true, timeout: .seconds(20)) { _ in
            let other = try! Self.result(id: "t-1").sealed(
                to: try! SealingKey(publicKey: HPKE.generateKeyPair().publicKey))
            return [("rh-other", "t-1", other.jsonLine)]
        }
        #expect(standard.status == 69 && !standard.errorOutput.contains("FIFO"), "\(standard)")

        // A message that is no result of the id at all says nothing of a duplicate.
        let (junk, _) = try await waitWithReplies(seal: true, timeout: .seconds(20), taskQueue: "tasks.fifo") { _ in
            [("rh-junk", "t-1", "not a result")]
        }
        #expect(junk.status == 69 && !junk.errorOutput.contains("FIFO"), "\(junk)")
    }

    /// With --seal, the task's sealed result that this host's libcrypto cannot open (no memory, a
    /// provider without part of the suite) is put back to be opened again; failing again it ends
    /// the wait with 69 and why, deleted with its copy as the answer it is (only this
    /// submission's key could open it), not taken for no result and waited past until the timeout.
    @Test func withSealAResultThisHostCannotOpenTwiceEndsTheWaitWith69() async throws {
        let (outcome, recorded) = try await waitWithReplies(
            seal: true, timeout: .seconds(60), failingOpens: .max
        ) { sentTask in
            let sealTo =
                (try? JSONSerialization.jsonObject(with: Data(sentTask.utf8)) as? [String: Any])?["sealTo"] as? String
            let real = try! Self.result(id: "t-1").sealed(to: try! SealingKey(base64: sealTo ?? ""))
            return [("rh-other", "t-2", "{}"), ("rh-real", "t-1", real.jsonLine), ("rh-copy", "t-1", real.jsonLine)]
        }
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.output.isEmpty)
        #expect(
            outcome.errorOutput.contains("the result of t-1 came, but this host's libcrypto could not open"),
            "\(outcome)")
        #expect(!outcome.errorOutput.contains("no result for t-1"), "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(
            deleted.count == 2 && deleted.contains { $0.contains("rh-real") }
                && deleted.contains { $0.contains("rh-copy") }, "\(deleted)")
        let putBack = recorded.filter { $0.action == "ChangeMessageVisibility" }.map(\.body)
        #expect(
            putBack.contains { $0.contains("rh-other") } && putBack.contains { $0.contains("rh-real") }, "\(putBack)")
        #expect(recorded.filter { $0.action == "ReceiveMessage" }.count == 2, "put back once, then taken")
    }

    /// A result that failed to open as the deadline came (its answer late, no receive left to
    /// open it again) is not reported as no result: the message says it came and was left.
    /// (Earlier receives come back empty at once; the first receive in the deadline's last five
    /// seconds, asking to wait `w` < 5 s, so made with the deadline less than `w` + 1 s away,
    /// brings the result `w` + 1.5 s later: past the deadline, with 3.5 s to spare of the 5 s the
    /// wait settles in. 20 s, not less: under the whole suite's load on CI, sending the task alone
    /// once took over 10 s, and the submission ended before its wait began.)
    @Test func withSealAFailureToOpenWithNoTimeLeftSaysTheResultCame() async throws {
        let (outcome, _) = try await waitWithReplies(
            seal: true, timeout: .seconds(20), receiveAnswerDelay: .milliseconds(300), failingOpens: .max,
            repliesPastTheDeadline: true
        ) { sentTask in
            let sealTo =
                (try? JSONSerialization.jsonObject(with: Data(sentTask.utf8)) as? [String: Any])?["sealTo"] as? String
            return [
                (
                    "rh-real", "t-1",
                    try! Self.result(id: "t-1").sealed(to: try! SealingKey(base64: sealTo ?? "")).jsonLine
                )
            ]
        }
        #expect(outcome.status == 69, "\(outcome)")
        #expect(
            outcome.errorOutput.contains(
                "the result of t-1 came, but this host's libcrypto could not open it, and there was no time"),
            "\(outcome)")
        #expect(!outcome.errorOutput.contains("the task stays queued"), "\(outcome)")
    }

    /// A failure to open that passes (the first receive's opens only) loses nothing: the result
    /// and its copy put back are received again, opened and printed, and both deleted.
    @Test func withSealAFailureToOpenThatPassesLosesNothing() async throws {
        let (outcome, recorded) = try await waitWithReplies(seal: true, timeout: .seconds(60), failingOpens: 2) {
            sentTask in
            let sealTo =
                (try? JSONSerialization.jsonObject(with: Data(sentTask.utf8)) as? [String: Any])?["sealTo"] as? String
            let real = try! Self.result(id: "t-1").sealed(to: try! SealingKey(base64: sealTo ?? ""))
            return [("rh-real", "t-1", real.jsonLine), ("rh-copy", "t-1", real.jsonLine)]
        }
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"randomPassword\":\"pw\""), "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(
            deleted.contains { $0.contains("rh-real") } && deleted.contains { $0.contains("rh-copy") }, "\(deleted)")
        let putBack = recorded.filter { $0.action == "ChangeMessageVisibility" }.map(\.body)
        #expect(putBack.contains { $0.contains("rh-real") }, "put back after the first failure: \(putBack)")
        #expect(recorded.filter { $0.action == "ReceiveMessage" }.count == 2, "opened at the second receive")
    }

    /// With only such messages, the wait ends at its timeout and says how many it saw (each once,
    /// though every receive brings it again). (20 s: under the whole suite's load sending the task
    /// alone once took over 10 s.)
    @Test func aWaitThatSawOnlyStrangersSaysSo() async throws {
        let (outcome, recorded) = try await waitWithReplies([("rh-junk", "t-1", "not a result")], timeout: .seconds(20))

        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.errorOutput.contains("; 1 message(s) named t-1 but held no result of it"), "\(outcome)")
        #expect(!recorded.contains { $0.action == "DeleteMessage" }, "\(recorded.map(\.action))")
    }

    /// A result whose body does not match its MD5OfBody (changed on its way) is not taken: the
    /// wait ends at its timeout saying it saw a message that held no result, and deletes nothing.
    @Test func aResultChangedOnItsWayIsNotTaken() async throws {
        let line = Self.result(id: "t-1").jsonLine
        let (outcome, recorded) = try await waitWithReplies(
            timeout: .seconds(20),
            receiveAnswers: { _ in
                let message: [String: Any] = [
                    "MessageId": "m-changed", "ReceiptHandle": "rh-changed", "Body": line,
                    "MD5OfBody": String(repeating: "0", count: 32),
                    "MessageAttributes": ["taskId": ["DataType": "String", "StringValue": "t-1"]],
                ]
                let body = try! JSONSerialization.data(withJSONObject: ["Messages": [message]])
                return ScriptedResponse(
                    status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: body)
            }
        ) { _ in [] }
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.output.isEmpty, "\(outcome)")
        #expect(outcome.errorOutput.contains("; 1 message(s) named t-1 but held no result of it"), "\(outcome)")
        #expect(!recorded.contains { $0.action == "DeleteMessage" }, "\(recorded.map(\.action))")
    }

    /// A result of the same task id that names another task message (an earlier submission's,
    /// never collected) is neither taken nor deleted; the one naming the message sent is. A result
    /// naming none (a delegate from before `taskMessageId`) is still taken. On a FIFO task queue,
    /// another message's result is taken only if its task came within the deduplication window.
    @Test func aResultOfAnEarlierSubmissionOfTheSameIDIsLeftAlone() async throws {
        let result = Self.result(id: "t-1")
        let (outcome, recorded) = try await waitWithReplies(
            [("rh-earlier", "t-1", result.jsonLine), ("rh-mine", "t-1", result.jsonLine)],
            taskMessageIDs: ["rh-earlier": "an-earlier-message", "rh-mine": "task-message"])
        #expect(outcome.status == 0, "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(deleted.count == 1 && deleted.first?.contains("rh-mine") == true, "\(deleted)")
        #expect(recorded.first { $0.action == "ReceiveMessage" }?.body.contains("taskMessageId") == true)

        let (alone, aloneCalls) = try await waitWithReplies(
            [("rh-earlier", "t-1", result.jsonLine)], timeout: .seconds(20),
            taskMessageIDs: ["rh-earlier": "an-earlier-message"])
        #expect(alone.status == 69, "\(alone)")
        #expect(alone.errorOutput.contains("1 result(s) of an earlier submission of t-1"), "\(alone)")
        #expect(!aloneCalls.contains { $0.action == "DeleteMessage" })

        let (unnamed, _) = try await waitWithReplies([("rh-old-delegate", "t-1", result.jsonLine)])
        #expect(unnamed.status == 0, "\(unnamed)")

        // To a FIFO task queue a send deduplicated by SQS (the same id within 5 minutes) is
        // answered by the first message's result: one whose task came within the window is taken.
        let recent = Self.result(id: "t-1", receivedAt: Date().addingTimeInterval(-4 * 60))
        let (fifo, _) = try await waitWithReplies(
            [("rh-first", "t-1", recent.jsonLine)], taskMessageIDs: ["rh-first": "the-first-message"],
            taskQueue: "tasks.fifo")
        #expect(fifo.status == 0, "\(fifo)")
        // One whose task came before it (an earlier submission's, uncollected: an old value,
        // maybe) is not: no deduplicated send reaches back that far.
        let stale = Self.result(id: "t-1", receivedAt: Date().addingTimeInterval(-20 * 60))
        let (fifoStale, staleCalls) = try await waitWithReplies(
            [("rh-stale", "t-1", stale.jsonLine)], timeout: .seconds(20),
            taskMessageIDs: ["rh-stale": "an-earlier-message"], taskQueue: "tasks.fifo")
        #expect(fifoStale.status == 69, "\(fifoStale)")
        #expect(fifoStale.errorOutput.contains("1 result(s) of an earlier submission of t-1"), "\(fifoStale)")
        #expect(!staleCalls.contains { $0.action == "DeleteMessage" })
    }

    /// On a FIFO task queue the deduplication window is judged by SQS's clock (the result
    /// message's `SentTimestamp`, which the wait asks for), not by the delegate's (`receivedAt`):
    /// a delegate whose clock is 20 minutes behind still answers a deduplicated send, and one 20
    /// minutes ahead does not pass off an old result as recent.
    @Test func theDeduplicationWindowIsJudgedBySQSsClock() async throws {
        let behind = Self.result(id: "t-1", receivedAt: Date().addingTimeInterval(-20 * 60))
        let (fresh, freshCalls) = try await waitWithReplies(
            [("rh-first", "t-1", behind.jsonLine)], taskMessageIDs: ["rh-first": "the-first-message"],
            sentTimestamps: ["rh-first": Date().addingTimeInterval(-4 * 60)], taskQueue: "tasks.fifo")
        #expect(fresh.status == 0, "\(fresh)")
        #expect(freshCalls.first { $0.action == "ReceiveMessage" }?.body.contains("SentTimestamp") == true)

        let ahead = Self.result(id: "t-1", receivedAt: Date().addingTimeInterval(20 * 60))
        let (old, oldCalls) = try await waitWithReplies(
            [("rh-old", "t-1", ahead.jsonLine)], timeout: .seconds(20),
            taskMessageIDs: ["rh-old": "an-earlier-message"],
            sentTimestamps: ["rh-old": Date().addingTimeInterval(-20 * 60)], taskQueue: "tasks.fifo")
        #expect(old.status == 69, "\(old)")
        #expect(old.errorOutput.contains("1 result(s) of an earlier submission of t-1"), "\(old)")
        #expect(!oldCalls.contains { $0.action == "DeleteMessage" })

        // The send's time is SQS's too (its answer's Date), not this host's: with this host 10
        // minutes ahead of AWS (unlearned: nothing was refused), a result SQS took in 4 minutes
        // before the send is still a deduplicated send's answer.
        let awsNow = Date().addingTimeInterval(-10 * 60)
        let dated = ScriptedResponse(
            status: 200, headers: ["Content-Type": "application/x-amz-json-1.0", "Date": imfFixdate(awsNow)],
            body: #"{"MessageId":"task-message"}"#)
        let (hostAhead, _) = try await waitWithReplies(
            taskMessageIDs: ["rh-first": "the-first-message"],
            sentTimestamps: ["rh-first": awsNow.addingTimeInterval(-4 * 60)], taskQueue: "tasks.fifo", sendAnswer: dated
        ) { _ in [("rh-first", "t-1", behind.jsonLine)] }
        #expect(hostAhead.status == 0, "\(hostAhead)")
    }

    /// `"replyTo": null` is no replyTo, as the delegate reads it: sent, and the result taken from
    /// result_queue_url; beside --reply-queue it is a usage error (the result would go elsewhere).
    @Test func aNullReplyToIsNoReplyTo() async throws {
        let task = Data(#"{"id":"t-1","operation":"getRandomPassword","replyTo":null}"#.utf8)
        let result = Self.result(id: "t-1")
        let (sent, calls) = try await waitWithReplies(task: task, replyQueueFlag: false) { _ in
            [("rh-mine", "t-1", result.jsonLine)]
        }
        #expect(sent.status == 0, "\(sent.errorOutput)")
        #expect(calls.contains { $0.action == "SendMessage" })
        let (refused, none) = try await waitWithReplies(task: task) { _ in [] }
        #expect(refused.status == 64, "\(refused.errorOutput)")
        #expect(none.isEmpty)
    }

    /// What the delegate would reject without a readable id or replyTo (its rejection would go
    /// where --wait does not look) is a usage error before anything is sent; so is a task that
    /// fits 256 KiB only without its `taskId` attribute, which SQS counts.
    @Test(arguments: [
        #"{"id":"a b","operation":"getRandomPassword"}"#, #"{"id":"","operation":"getRandomPassword"}"#,
        #"{"id":".hidden","operation":"getRandomPassword"}"#,
        #"{"id":"t-1","id":"t-2","operation":"getRandomPassword"}"#,
        #"{"id":"t-1","operation":"getRandomPassword","params":{"length":8,"length":9}}"#,
        #"{"id":"t-1","operation":"getRandomPassword","replyTo":5}"#,
    ])
    func aTaskTheDelegateCouldNotAnswerWhereWaitLooksIsRefusedBeforeSending(_ task: String) async throws {
        let (outcome, recorded) = try await waitWithReplies(task: Data(task.utf8), timeout: .seconds(1)) { _ in [] }
        #expect(outcome.status == 64, "\(outcome.errorOutput)")
        #expect(recorded.isEmpty, "\(recorded.map(\.action))")
    }

    /// A result queue that is the task queue (its host spelled in another case too) is a usage
    /// error before anything is sent: a delegate would take the result for a task.
    @Test func aReplyQueueThatIsTheTaskQueueIsRefusedBeforeSending() async throws {
        let (outcome, recorded) = try await waitWithReplies(timeout: .seconds(1), taskQueue: "replies") { _ in [] }
        #expect(outcome.status == 64, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("the result queue is the task queue"), "\(outcome.errorOutput)")
        #expect(recorded.isEmpty, "\(recorded.map(\.action))")
    }

    /// Through an [sqs] endpoint of one Amazon SQS region, a task or reply queue of another
    /// cannot be reached: a usage error before anything is sent (the delegate refuses such a
    /// configuration, and such a replyTo).
    @Test(arguments: [
        (
            "https://sqs.us-east-1.amazonaws.com/1/tasks", "https://sqs.eu-west-1.amazonaws.com/1/replies",
            "the task queue"
        ),
        (
            "https://sqs.eu-west-1.amazonaws.com/1/tasks", "https://sqs.us-east-1.amazonaws.com/1/replies",
            "the result queue"
        ),
    ])
    func aQueueOfAnotherRegionThanTheEndpointIsRefusedBeforeSending(task: String, reply: String, refused: String)
        async throws
    {
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [identity]
                sources = ["environment"]
                [sqs]
                endpoint = "https://vpce-0abc-x.sqs.eu-west-1.vpce.amazonaws.com"
                """,
            environment: [:], hostName: "submit-region")
        let destination = TaskSubmitter.SQSDestination(
            queueURL: task, replyQueueURL: reply, configuration: configuration,
            environment: ["AWS_ACCESS_KEY_ID": "AKIDSUBMIT", "AWS_SECRET_ACCESS_KEY": "submit-secret"])
        let outcome = await TaskSubmitter(destination: .sqs(destination), wait: true, timeout: .seconds(1), seal: false)
            .submit(Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8))
        #expect(outcome.status == 64, "\(outcome.errorOutput)")
        #expect(
            outcome.errorOutput.contains("\(refused) (") && outcome.errorOutput.contains("serves its own region only"),
            "\(outcome.errorOutput)")
    }

    /// Nor may it be another of the configuration's task queues: a delegate would not answer
    /// there, and --wait would wait out its timeout for a task said to stay queued.
    @Test func aReplyQueueThatIsAnotherConfiguredTaskQueueIsRefusedBeforeSending() async throws {
        let (outcome, recorded) = try await waitWithReplies(
            timeout: .seconds(1),
            sqsTOMLFor: { "queue_urls = [\"\($0)/123456789012/tasks\", \"\($0)/123456789012/replies\"]" }
        ) { _ in [] }
        #expect(outcome.status == 64, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("is one of [sqs] queue_urls, a task queue"), "\(outcome.errorOutput)")
        #expect(recorded.isEmpty, "\(recorded.map(\.action))")
    }

    /// Without an [sqs] endpoint, a delegate sends results only to an https host of Amazon SQS
    /// or the origin of one of its queues (the task queue's among them): a reply queue on
    /// another host is a usage error before anything is sent, since the delegate would reject
    /// the task where --wait does not look. One on the task queue's origin is sent.
    @Test func aReplyQueueTheDelegateWouldNotSendToIsRefusedBeforeSending() async throws {
        let calls = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            calls.withLock { $0.append(request.headers["X-Amz-Target"] ?? "") }
            return ScriptedResponse(
                status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body: #"{"MessageId":"task-message"}"#)
        }
        defer { server.stop() }
        let configuration = try DelegateConfiguration.load(
            tomlText: "[identity]\nsources = [\"environment\"]\n[sqs]\nregion = \"us-east-1\"\n",
            environment: [:], hostName: "submit-origin")
        let environment = ["AWS_ACCESS_KEY_ID": "AKIDSUBMIT", "AWS_SECRET_ACCESS_KEY": "submit-secret"]
        let task = Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8)
        let port = try #require(server.baseURL.split(separator: ":").last)
        for elsewhere in [
            "http://127.0.0.2:\(port)/123456789012/replies", "http://sqs.us-east-1.amazonaws.com/123456789012/replies",
        ] {
            let outcome = await TaskSubmitter(
                destination: .sqs(
                    .init(
                        queueURL: "\(server.baseURL)/123456789012/tasks", replyQueueURL: elsewhere,
                        configuration: configuration,
                        environment: environment)),
                wait: false, timeout: .seconds(5), seal: false
            ).submit(task)
            #expect(outcome.status == 64, "\(elsewhere): \(outcome)")
            #expect(outcome.errorOutput.contains("is not where a delegate sends results"), "\(outcome.errorOutput)")
        }
        #expect(calls.withLock { $0 }.isEmpty)
        let sameOrigin = await TaskSubmitter(
            destination: .sqs(
                .init(
                    queueURL: "\(server.baseURL)/123456789012/tasks",
                    replyQueueURL: "\(server.baseURL)/123456789012/replies",
                    configuration: configuration, environment: environment)),
            // (30 s: under the whole suite's load sending a task once took over 10 s.)
            wait: false, timeout: .seconds(30), seal: false
        ).submit(task)
        #expect(sameOrigin.status == 0, "\(sameOrigin)")
        #expect(calls.withLock { $0 } == ["AmazonSQS.SendMessage"])
    }

    /// A receive that brought only another task's message (visible again at once, so it comes
    /// straight back) is followed by a pause: the wait does not spin receive after receive, each
    /// one billed, for its whole timeout: about one receive a second, not thousands. (20 s: under
    /// the whole suite's load sending the task alone once took over 10 s.)
    @Test func aWaitWhoseReceivesBringOnlyOthersMessagesDoesNotSpin() async throws {
        let (outcome, recorded) = try await waitWithReplies([("rh-other", "t-2", "{}")], timeout: .seconds(20))
        #expect(outcome.status == 69, "\(outcome)")
        let receives = recorded.filter { $0.action == "ReceiveMessage" }.count
        #expect((1...25).contains(receives), "\(receives) receives in 20 s")
    }

    /// A send whose attempts failed in a way that may have queued it (a 5xx, retried) says it may
    /// have been sent; one refused outright (a 4xx, not retried) says it was not.
    /// (An answer of 200 that cannot be read is a send SQS may well have taken.) The timeout is
    /// 60 s, though no case waits for it: no retry starts that would end past it, and under the
    /// whole suite's load a first attempt took over 10 s, which left a 20 s timeout no room for
    /// the second.
    @Test(arguments: [
        (500, #"{"__type":"com.amazonaws.sqs#InternalError","message":"try again"}"#, true, 2),
        (400, #"{"__type":"com.amazonaws.sqs#AccessDenied","message":"not allowed"}"#, false, 1),
        (200, "<SendMessageResponse/>", true, 1),
    ])
    func aFailedSendSaysWhetherItMayHaveBeenSent(status: Int, body: String, unsure: Bool, attempts: Int) async throws {
        let (outcome, recorded) = try await waitWithReplies(
            timeout: .seconds(60), awsTOML: "[aws]\nmax_attempts = 2",
            sendAnswer: ScriptedResponse(
                status: status, headers: ["Content-Type": "application/x-amz-json-1.0"], body: body)
        ) { _ in [] }
        #expect(outcome.status == 69, "\(outcome)")
        #expect(recorded.filter { $0.action == "SendMessage" }.count == attempts, "\(recorded.map(\.action))")
        #expect(outcome.errorOutput.contains("the task may have been sent") == unsure, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("could not be sent") == !unsure, "\(outcome.errorOutput)")
    }

    /// A queue URL refused says where it was given: `--sqs`, `--reply-queue` or the task's
    /// `replyTo` (the same rules refuse each, so the rule alone does not tell which).
    @Test func aRefusedQueueURLSaysWhereItWasGiven() async throws {
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let endpoint = "http://127.0.0.1:\(closed.port)"
        let task = Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8)
        var spaced = try destination(endpoint: endpoint, replyQueue: "re sults")
        var outcome = await TaskSubmitter(destination: .sqs(spaced), wait: true, timeout: .seconds(5)).submit(task)
        #expect(outcome.status == 64 && outcome.errorOutput.contains("--reply-queue: a queue URL"), "\(outcome)")
        spaced = try destination(endpoint: endpoint, taskQueue: "ta sks")
        outcome = await TaskSubmitter(destination: .sqs(spaced), wait: false, timeout: .seconds(5)).submit(task)
        #expect(outcome.status == 64 && outcome.errorOutput.contains("--sqs: a queue URL"), "\(outcome)")
        let withReplyTo = Data(
            #"{"id":"t-1","operation":"getRandomPassword","replyTo":"https://u:p@sqs.us-east-1.amazonaws.com/1/r"}"#
                .utf8)
        outcome = await TaskSubmitter(
            destination: .sqs(try destination(endpoint: endpoint)), wait: true, timeout: .seconds(5)
        )
        .submit(withReplyTo)
        #expect(outcome.status == 64 && outcome.errorOutput.contains("the task's replyTo: a queue URL"), "\(outcome)")
    }

    /// A receive failing after one worked (the queue is there) is waited out while it may pass (a
    /// 5xx, throttling) and the result taken when it comes; a refusal then ends the wait, saying the
    /// queue could no longer be read (not that it may not exist); failures to the end say so in
    /// the timeout's message.
    @Test func aReceiveFailingAfterOneWorkedIsWaitedOut() async throws {
        let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
        let failing = ScriptedResponse(
            status: 500, headers: json,
            body: #"{"__type":"com.amazonaws.sqs#InternalError","message":"We encountered an internal error."}"#)
        let refused = ScriptedResponse(
            status: 400, headers: json,
            body: #"{"__type":"com.amazonaws.sqs#AccessDenied","message":"Access to the resource is denied."}"#)
        let result = Self.result(id: "t-1")
        let message: [String: Any] = [
            "MessageId": "m-rh-mine", "ReceiptHandle": "rh-mine", "Body": result.jsonLine,
            "MessageAttributes": [
                "taskId": ["DataType": "String", "StringValue": "t-1"],
                "taskMessageId": ["DataType": "String", "StringValue": "task-message"],
            ],
        ]
        let withResult = ScriptedResponse(
            status: 200, headers: json, body: try JSONSerialization.data(withJSONObject: ["Messages": [message]]))
        let awsTOML = "[aws]\nmax_attempts = 1"

        let (passed, _) = try await waitWithReplies(
            timeout: .seconds(20), awsTOML: awsTOML,
            receiveAnswers: { index in index == 0 ? nil : index < 3 ? failing : withResult }
        ) { _ in [] }
        #expect(passed.status == 0, "\(passed)")
        #expect(passed.output.contains("\"randomPassword\":\"pw\""), "\(passed)")

        let (stopped, _) = try await waitWithReplies(
            timeout: .seconds(20), awsTOML: awsTOML, receiveAnswers: { index in index == 0 ? nil : refused }
        ) { _ in [] }
        #expect(stopped.status == 69, "\(stopped)")
        #expect(stopped.errorOutput.contains("could no longer be read: AccessDenied"), "\(stopped.errorOutput)")
        #expect(!stopped.errorOutput.contains("if it does not exist"), "\(stopped.errorOutput)")

        let (failedToTheEnd, _) = try await waitWithReplies(
            timeout: .seconds(20), awsTOML: awsTOML, receiveAnswers: { index in index == 0 ? nil : failing }
        ) { _ in [] }
        #expect(failedToTheEnd.status == 69, "\(failedToTheEnd)")
        #expect(failedToTheEnd.errorOutput.contains("no result for t-1"), "\(failedToTheEnd.errorOutput)")
        #expect(
            failedToTheEnd.errorOutput.contains("the last receive failed: InternalError"),
            "\(failedToTheEnd.errorOutput)")

        // A failure that passed is not named at the end.
        let (passedThenNothing, _) = try await waitWithReplies(
            timeout: .seconds(20), awsTOML: awsTOML, receiveAnswers: { index in index == 1 ? failing : nil }
        ) { _ in [] }
        #expect(passedThenNothing.errorOutput.contains("no result for t-1"), "\(passedThenNothing.errorOutput)")
        #expect(!passedThenNothing.errorOutput.contains("the last receive failed"), "\(passedThenNothing.errorOutput)")
    }

    /// A reply queue that cannot be read (it does not exist: a typo in --reply-queue) is found only
    /// at the first receive, after the task was sent: the error says the task was sent and runs,
    /// so that it is not sent again as if nothing had happened.
    @Test func aReplyQueueThatCannotBeReadSaysTheTaskWasSent() async throws {
        let (outcome, recorded) = try await waitWithReplies(
            timeout: .seconds(20),
            receiveAnswer: ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body:
                    #"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#
            )
        ) { _ in [] }
        #expect(outcome.status == 69, "\(outcome)")
        #expect(recorded.filter { $0.action == "SendMessage" }.count == 1, "\(recorded.map(\.action))")
        #expect(outcome.errorOutput.contains("cannot be read: QueueDoesNotExist"), "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("the task t-1 was sent"), "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("if it does not exist, no result can be sent"), "\(outcome.errorOutput)")
    }

    /// A send none of whose attempts got through (the queue's port refuses connections; tried
    /// twice) was not sent, and says so.
    @Test func aSendThatNeverConnectedWasNotSent() async throws {
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let endpoint = "http://127.0.0.1:\(closed.port)"
        let outcome = await TaskSubmitter(
            destination: .sqs(try destination(endpoint: endpoint, toml: "[aws]\nmax_attempts = 2")), wait: false,
            timeout: .seconds(20), seal: false
        ).submit(Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8))
        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.errorOutput.contains("the task could not be sent to"), "\(outcome.errorOutput)")
        #expect(!outcome.errorOutput.contains("may have been sent"), "\(outcome.errorOutput)")
    }

    /// One queue however its URL is spelt: Amazon SQS's hosts of one region (FIPS, dual-stack,
    /// legacy, a port), any host's scheme and host in any case and its default port, a trailing
    /// `/`; through an endpoint override, any host. Another name, account or region is another queue.
    @Test func aQueueIsTheSameQueueHoweverItsURLIsSpelt() throws {
        let queue = try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/123456789012/tasks")
        for same in [
            "HTTPS://SQS.us-east-1.amazonaws.com/123456789012/tasks",
            "https://sqs-fips.us-east-1.amazonaws.com/123456789012/tasks",
            "https://sqs.us-east-1.api.aws/123456789012/tasks",
            "https://sqs.us-east-1.amazonaws.com:443/123456789012/tasks",
            "https://sqs.us-east-1.amazonaws.com/123456789012/tasks/",
        ] {
            #expect(queue.namesSameQueue(as: try SQSQueueURL(same)), "\(same)")
        }
        for other in [
            "https://sqs.us-east-1.amazonaws.com/123456789012/Tasks",
            "https://sqs.us-east-1.amazonaws.com/123456789012/tasks2",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
            "https://sqs.us-east-1.amazonaws.com/210987654321/tasks",
            "https://proxy.example/123456789012/tasks",
        ] {
            #expect(!queue.namesSameQueue(as: try SQSQueueURL(other)), "\(other)")
        }
        let local = try SQSQueueURL("http://127.0.0.1:4566/123456789012/tasks")
        #expect(local.namesSameQueue(as: try SQSQueueURL("HTTP://127.0.0.1:4566/123456789012/tasks")))
        #expect(try SQSQueueURL("http://h:80/1/q").namesSameQueue(as: try SQSQueueURL("http://h/1/q")))
        #expect(!local.namesSameQueue(as: try SQSQueueURL("http://127.0.0.1:4567/123456789012/tasks")))
        #expect(
            local.namesSameQueue(as: try SQSQueueURL("http://localhost:9/123456789012/tasks"), throughOneEndpoint: true)
        )
        #expect(
            !local.namesSameQueue(
                as: try SQSQueueURL("http://localhost:9/123456789012/other"), throughOneEndpoint: true))
        let section = DelegateConfiguration.SQSSection(queueURLs: [queue.url])
        #expect(section.isTaskQueue(try SQSQueueURL("https://sqs-fips.us-east-1.amazonaws.com/123456789012/tasks")))
    }

    /// The limit is `[sqs] max_message_bytes`, 256 KiB unless raised (queues that carry SQS's
    /// 1 MiB): raised, the same task is sent.
    @Test(arguments: [nil, 1_048_576])
    func aTaskThatFitsOnlyWithoutItsTaskIDAttributeIsRefusedBeforeSending(raisedLimit: Int?) async throws {
        // With its own replyTo (the reply queue), so nothing is added to it on the way.
        let (outcome, recorded) = try await waitWithReplies(
            taskFor: { replyQueueURL in
                let head = #"{"id":"t-1","operation":"getRandomPassword","replyTo":"\#(replyQueueURL)","description":""#
                let task = head + String(repeating: "x", count: 262_144 - head.utf8.count - 2 - 5) + #""}"#
                precondition(task.utf8.count == 262_144 - 5)  // fits alone; "taskId", "String" and "t-1" do not
                return Data(task.utf8)
            },
            // (Raised, the task is sent within the timeout: 1 s was too little for a loaded host.)
            timeout: raisedLimit == nil ? .seconds(1) : .seconds(10),
            sqsTOMLFor: raisedLimit.map { limit in { _ in "max_message_bytes = \(limit)" } }
        ) { _ in [] }
        if raisedLimit == nil {
            #expect(outcome.status == 64, "\(outcome.errorOutput)")
            #expect(
                outcome.errorOutput.contains(
                    "with its taskId attribute; at most 262144 are sent ([sqs] max_message_bytes"),
                "\(outcome.errorOutput)")
            #expect(recorded.isEmpty, "\(recorded.map(\.action))")
        } else {
            #expect(!outcome.errorOutput.contains("taskId attribute"), "\(outcome.errorOutput)")
            #expect(recorded.first?.action == "SendMessage", "\(recorded.map(\.action))")
        }
    }

    /// A task holding a raw U+FFFE or U+FFFF, which SQS refuses in a message, is a usage error
    /// before anything is sent, saying to write it escaped; written escaped, it is sent.
    @Test(arguments: [("\u{FFFF}", false), ("\u{FFFE}", false), ("\u{FFFF}", true)])
    func aTaskHoldingANoncharacterSQSRefusesIsRefusedBeforeSending(character: String, seal: Bool) async throws {
        let (outcome, recorded) = try await waitWithReplies(
            task: Data(#"{"id":"t-1","operation":"getRandomPassword","description":"a\#(character)b"}"#.utf8),
            seal: seal,
            timeout: .seconds(1)
        ) { _ in [] }
        #expect(outcome.status == 64, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("U+FFFE or U+FFFF (at byte"), "\(outcome.errorOutput)")
        #expect(recorded.isEmpty, "\(recorded.map(\.action))")
        // At its place in the task as given, not in the task with a replyTo (or a sealTo) inserted.
        #expect(outcome.errorOutput.contains("at byte 60)"), "\(outcome.errorOutput)")
        #expect(TaskSubmitter.firstNoncharacterForSQS(in: Data(#"{"d":"a\uffffb"}"#.utf8)) == nil, "escaped is fine")
        #expect(TaskSubmitter.firstNoncharacterForSQS(in: Data("\u{FFFD}\u{EFBF}".utf8)) == nil)
    }

    private static func result(id: String, receivedAt: Date = Date(timeIntervalSince1970: 0)) -> TaskResult {
        TaskResult(
            id: id, status: .succeeded, operation: "getRandomPassword", connectorId: "c", delegate: "d",
            receivedAt: receivedAt, finishedAt: receivedAt.addingTimeInterval(1), attempts: 1,
            result: ["randomPassword": "pw"])
    }

    typealias Reply = (handle: String, taskID: String, body: String)

    /// Submits task t-1 with --wait to a scripted SQS endpoint whose every receive answers
    /// `replies` (receipt handle, taskId attribute, body); the outcome and the calls made.
    /// `submit --sqs` to `endpoint`'s queue `taskQueue` (and `replyQueue`, if any), signed with
    /// environment credentials; `toml` adds to the `[identity]` and `[sqs]` every test has.
    private func destination(
        endpoint: String, taskQueue: String = "tasks", replyQueue: String? = nil, toml: String = "",
        sqsTOML: String = ""
    ) throws -> TaskSubmitter.SQSDestination {
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [identity]
                sources = ["environment"]
                \(toml)
                [sqs]
                region = "us-east-1"
                endpoint = "\(endpoint)"
                \(sqsTOML)
                """,
            environment: [:], hostName: "submit-wait")
        return TaskSubmitter.SQSDestination(
            queueURL: "\(endpoint)/123456789012/\(taskQueue)",
            replyQueueURL: replyQueue.map { "\(endpoint)/123456789012/\($0)" },
            configuration: configuration,
            environment: ["AWS_ACCESS_KEY_ID": "AKIDSUBMIT", "AWS_SECRET_ACCESS_KEY": "submit-secret"])
    }

    private func waitWithReplies(
        _ replies: [Reply], timeout: Duration = .seconds(20), taskMessageIDs: [String: String] = [:],
        sentTimestamps: [String: Date] = [:], taskQueue: String = "tasks"
    ) async throws -> (CommandOutcome, [(action: String, body: String)]) {
        try await waitWithReplies(
            timeout: timeout, taskMessageIDs: taskMessageIDs, sentTimestamps: sentTimestamps, taskQueue: taskQueue
        ) { _ in replies }
    }

    /// As above, the replies made from the task as sent (its `sealTo`, with `seal`).
    /// `taskMessageIDs` gives a reply (by receipt handle) a `taskMessageId` attribute,
    /// `sentTimestamps` a `SentTimestamp`;
    /// `repliesPastTheDeadline` answers only the first receive asking to wait less than 5 s with
    /// the replies, 1.5 s after its wait, past the deadline; every other one with none.
    /// The last receive (the first asking to wait a second or less) is answered
    /// `lastReceiveAnswerDelay` after its wait ends, which `lastReceiveWaitEnded` records.
    private func waitWithReplies(
        task: Data = Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8),
        taskFor: (@Sendable (_ replyQueueURL: String) -> Data)? = nil, seal: Bool = false,
        timeout: Duration = .seconds(20), taskMessageIDs: [String: String] = [:], sentTimestamps: [String: Date] = [:],
        taskQueue: String = "tasks",
        replyQueueFlag: Bool = true, visibilityAnswerDelay: Duration = .zero, receiveAnswerDelay: Duration = .zero,
        lastReceiveReplies: [Reply]? = nil, lastReceiveAnswerDelay: Duration? = nil,
        lastReceiveWaitEnded: ArrivalTime? = nil, sendArrived: ArrivalTime? = nil, receiveLog: ReceiveLog? = nil,
        emptyReceiveHoldsItsWaitAnd: Duration? = nil, awsTOML: String = "", failingOpens: Int = 0,
        sqsTOMLFor: ((_ endpoint: String) -> String)? = nil, sendAnswer: ScriptedResponse? = nil,
        receiveAnswer: ScriptedResponse? = nil, receiveAnswers: (@Sendable (_ index: Int) -> ScriptedResponse?)? = nil,
        deleteAnswer: ScriptedResponse? = nil, repliesPastTheDeadline: Bool = false,
        replies: @escaping @Sendable (String) -> [Reply]
    ) async throws -> (CommandOutcome, [(action: String, body: String)]) {
        let sent = Mutex<String>("")
        let receives = Mutex(0)
        let calls = Mutex<[(action: String, body: String)]>([])
        let lastHanded = Mutex(false)
        let pastTheDeadlineHanded = Mutex(false)
        let server = try LoopbackHTTPServer { request in
            let action = (request.headers["X-Amz-Target"] ?? "").replacingOccurrences(of: "AmazonSQS.", with: "")
            calls.withLock { $0.append((action, request.bodyText)) }
            let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
            switch action {
            case "SendMessage":
                sendArrived?.instant.withLock { $0 = ContinuousClock.now }
                let body = (try? JSONSerialization.jsonObject(with: Data(request.bodyText.utf8)) as? [String: Any])?[
                    "MessageBody"]
                sent.withLock { $0 = body as? String ?? "" }
                if let sendAnswer { return sendAnswer }
                return ScriptedResponse(status: 200, headers: json, body: #"{"MessageId":"task-message"}"#)
            case "ReceiveMessage":
                if let receiveAnswer { return receiveAnswer }
                let index = receives.withLock { count in
                    defer { count += 1 }; return count
                }
                if let scripted = receiveAnswers?(index) { return scripted }
                // The first receive asking to wait a second or less comes in the deadline's last
                // two seconds: the wait's last but one or its last (a loaded host may answer the
                // last but one too late for another). It brings `lastReceiveReplies`.
                let waits =
                    (try? JSONSerialization.jsonObject(with: Data(request.bodyText.utf8)) as? [String: Any])?[
                        "WaitTimeSeconds"] as? Int
                let isLast =
                    (waits ?? 5) <= 1
                    && lastHanded.withLock { handed in
                        defer { handed = true }; return !handed
                    }
                if isLast { lastReceiveWaitEnded?.instant.withLock { $0 = ContinuousClock.now + .seconds(waits ?? 0) } }
                receiveLog?.receives.withLock { $0.append((waits ?? -1, ContinuousClock.now, receiveAnswerDelay)) }
                let pastTheDeadline =
                    repliesPastTheDeadline && (waits ?? 5) < 5
                    && pastTheDeadlineHanded.withLock { handed in
                        defer { handed = true }; return !handed
                    }
                let answer =
                    repliesPastTheDeadline
                    ? (pastTheDeadline ? replies(sent.withLock { $0 }) : [])
                    : isLast ? lastReceiveReplies ?? replies(sent.withLock { $0 }) : replies(sent.withLock { $0 })
                let messages: [[String: Any]] = answer.map { reply in
                    var attributes = ["taskId": ["DataType": "String", "StringValue": reply.taskID]]
                    if let answered = taskMessageIDs[reply.handle] {
                        attributes["taskMessageId"] = ["DataType": "String", "StringValue": answered]
                    }
                    var message: [String: Any] = [
                        "MessageId": "m-\(reply.handle)", "ReceiptHandle": reply.handle, "Body": reply.body,
                        "MessageAttributes": attributes,
                    ]
                    if let sent = sentTimestamps[reply.handle] {
                        message["Attributes"] = ["SentTimestamp": "\(Int64(sent.timeIntervalSince1970 * 1000))"]
                    }
                    return message
                }
                let body = try! JSONSerialization.data(withJSONObject: ["Messages": messages])
                if let beyond = emptyReceiveHoldsItsWaitAnd, messages.isEmpty {
                    // As SQS does: an empty answer only once the wait asked for is over.
                    return ScriptedResponse(
                        status: 200, headers: json, body: body, delay: .seconds(waits ?? 0) + beyond)
                }
                if pastTheDeadline {
                    return ScriptedResponse(
                        status: 200, headers: json, body: body, delay: .seconds(waits ?? 0) + .milliseconds(1500))
                }
                return ScriptedResponse(
                    status: 200, headers: json, body: body,
                    delay: isLast
                        ? lastReceiveAnswerDelay.map { .seconds(waits ?? 0) + $0 } ?? receiveAnswerDelay
                        : receiveAnswerDelay)
            case "ChangeMessageVisibility":
                return ScriptedResponse(status: 200, headers: json, body: "{}", delay: visibilityAnswerDelay)
            case "DeleteMessage" where deleteAnswer != nil:
                return deleteAnswer!
            default:
                return ScriptedResponse(status: 200, headers: json, body: "{}")
            }
        }
        defer { server.stop() }
        let destination = try destination(
            endpoint: server.baseURL, taskQueue: taskQueue, replyQueue: replyQueueFlag ? "replies" : nil, toml: awsTOML,
            sqsTOML: sqsTOMLFor?(server.baseURL) ?? "result_queue_url = \"\(server.baseURL)/123456789012/replies\"")
        var submitter = TaskSubmitter(destination: .sqs(destination), wait: true, timeout: timeout, seal: seal)
        if failingOpens > 0 {
            // The first `failingOpens` opens fail as a libcrypto would; the rest open.
            let failures = Mutex(0)
            submitter.openSealed = { result, key throws(SealedResultError) in
                let failing = failures.withLock { count in
                    count += 1
                    return count <= failingOpens
                }
                if failing {
                    throw SealedResultError(
                        "this host's libcrypto could not open the sealed result (test)", kind: .hostFailure)
                }
                return try result.opened(privateKey: key)
            }
        }
        let outcome = await submitter.submit(taskFor?(destination.replyQueueURL ?? "") ?? task)
        return (outcome, calls.withLock { $0 })
    }
}

/// When the scripted endpoint saw a request (set by its handler, read by the test).
final class ArrivalTime: Sendable {
    let instant = Mutex<ContinuousClock.Instant?>(nil)
}

/// Each receive the scripted endpoint saw: the wait it asked for, when it came, and how long its
/// answer was held.
final class ReceiveLog: Sendable {
    let receives = Mutex<[(waits: Int, arrived: ContinuousClock.Instant, held: Duration)]>([])
}
