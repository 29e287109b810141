import AWSCore
import Foundation
import HTTP
import Logging
import ServiceLifecycle
import Synchronization
import Systemd
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// The daemon as services in one `ServiceGroup`: READY=1 once intake is open, a graceful stop that
/// closes intake before it waits for the tasks in flight, and a failing service ending the group.
@Suite struct DaemonServicesTests {
    @Test func aGracefulStopClosesIntakeFirstAndLetsTheTaskInFlightFinish() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDSERVICES", "secret-key": "services-key"], in: directory)
        let http = Self.heldAnswers()
        let notifier = RecordingNotifier()
        let recorder = LogRecorder()
        let daemon = try Self.daemon(in: directory, http: http, notifier: notifier, logger: recorder.logger())
        let group = Self.serviceGroup(daemon)
        // No task starts once STOPPING=1 is out: the intake is closed before it is sent.
        let closedAtStopping = Mutex<Bool?>(nil)
        let dispatcher = daemon.dispatcher
        notifier.onStopping.withLock { $0 = { closedAtStopping.withLock { $0 = dispatcher.isStopping } } }

        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            // READY=1 came after the intakes opened.
            #expect(FileManager.default.fileExists(atPath: directory.path("spool/new")))
            #expect(FileManager.default.fileExists(atPath: directory.path("delegate.sock")))

            try Self.drop("inflight", in: directory)
            #expect(await eventually { http.holding == 1 })

            await group.triggerGracefulShutdown()
            // Intake is closed (the socket file is gone, STOPPING=1 sent) while the task still runs.
            #expect(await eventually { !FileManager.default.fileExists(atPath: directory.path("delegate.sock")) })
            #expect(notifier.messages.contains("STOPPING=1"))
            #expect(closedAtStopping.withLock { $0 } == true)
            #expect(recorder.records.contains { $0.contains("event=stopping") })
            #expect(!FileManager.default.fileExists(atPath: directory.path("spool/done/inflight.json")))
            // A task arriving now is not started: it stays in new/.
            try Self.drop("late", in: directory)

            http.releaseHeld()
            try await running.next()
        }
        let result = try String(contentsOfFile: directory.path("spool/done/inflight.json"), encoding: .utf8)
        #expect(result.contains(#""status":"succeeded""#))
        #expect(FileManager.default.fileExists(atPath: directory.path("spool/new/late.json")))
        #expect(http.requests.count == 1)
        let records = recorder.records
        #expect(!records.contains { $0.contains("after the grace period") })
        let stopping = try #require(records.firstIndex { $0.contains("event=stopping") })
        let stopped = try #require(records.firstIndex { $0.contains("event=stopped") && $0.contains("counts=") })
        #expect(stopping < stopped)
        #expect(!recorder.allText.contains("services-key"))
        // No READY=1 after STOPPING=1.
        let messages = notifier.messages
        let stoppingMessage = try #require(messages.firstIndex(of: "STOPPING=1"))
        #expect(!messages[stoppingMessage...].contains("READY=1"))
    }

    /// While a spool result cannot be written (here `done` is a link loop for a while, as a full
    /// or read-only disk would refuse it), the spool claims no new task, and the status line
    /// (systemd's STATUS=, `systemctl status`) leads with it; once written, the line says no more.
    @Test func theStatusLineSaysWhenTheSpoolIsPausedForAnUnwrittenResult() async throws {
        let directory = try TemporaryDirectory(prefix: "services-paused")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDPAUSED", "secret-key": "paused-key"], in: directory)
        let http = Self.heldAnswers()
        let daemon = try Self.daemon(
            in: directory, http: http, notifier: RecordingNotifier(),
            logger: Logger(label: "q") { _ in SwiftLogNoOpLogHandler() })
        let group = Self.serviceGroup(daemon)
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { FileManager.default.fileExists(atPath: directory.path("spool/new")) })
            try Self.drop("paused", in: directory)
            #expect(await eventually { http.holding == 1 })
            let done = directory.path("spool/done")
            #expect(rename(done, done + ".away") == 0 && symlink(done, done) == 0)
            http.releaseHeld()
            #expect(
                await eventually { await daemon.statusLine().hasPrefix("spool paused: 1 result(s) cannot be written") })
            // The status object says so too (for `status | jq`), beside the success already counted.
            guard case .object(let paused) = await daemon.statusReport() else { Issue.record("no object"); return }
            #expect(paused["unwrittenResults"] == .integer(1), "\(paused)")
            #expect(unlink(done) == 0 && rename(done + ".away", done) == 0)
            #expect(await eventually { FileManager.default.fileExists(atPath: done + "/paused.json") })
            #expect(await eventually { await !daemon.statusLine().contains("spool paused") })
            guard case .object(let resumed) = await daemon.statusReport() else { Issue.record("no object"); return }
            #expect(resumed["unwrittenResults"] == nil, "\(resumed)")
            await group.triggerGracefulShutdown()
            try await running.next()
        }
    }

    /// The status object's members (section 6), which monitoring scripts parse: each there, of
    /// its type, and no other beside the two that come only when they apply (`unwrittenResults`,
    /// `httpError`).
    @Test func theStatusObjectHasTheDocumentedMembersOfTheirTypes() async throws {
        let directory = try TemporaryDirectory(prefix: "services-status")
        let daemon = try Self.daemon(
            in: directory, http: ScriptedHTTPClient(), notifier: RecordingNotifier(),
            logger: Logger(label: "q") { _ in SwiftLogNoOpLogHandler() })
        guard case .object(let report) = await daemon.statusReport() else {
            Issue.record("the status is no object")
            return
        }
        #expect(
            Set(report.keys) == [
                "name", "version", "tags", "acceptUntagged", "startedAt", "inFlight", "counts", "credentials",
                "connectors", "cache", "credentialRequests", "queues",
            ], "\(report.keys)")
        #expect(report["name"] == .string("services"))
        #expect(report["version"]?.stringValue == DelegateVersion.current)
        #expect(report["tags"] == .array([]))
        #expect(report["acceptUntagged"] == .bool(true))
        #expect(
            report["startedAt"]?.stringValue.flatMap(Timestamp.parse) != nil,
            "\(String(describing: report["startedAt"]))")
        #expect(report["inFlight"] == .integer(0))
        #expect(
            report["counts"] == .object(["succeeded": .integer(0), "failed": .integer(0), "rejected": .integer(0)]))
        guard case .array? = report["credentials"] else {
            Issue.record("credentials is no array: \(String(describing: report["credentials"]))")
            return
        }
        #expect(report["credentialRequests"] == .object(["served": .integer(0), "refused": .integer(0)]))
        for member in ["connectors", "cache", "queues"] {
            guard case .object? = report[member] else {
                Issue.record("\(member) is no object: \(String(describing: report[member]))")
                continue
            }
        }
    }

    /// `cur/<delegate>/` removed while the delegate runs (its claims with it): no claim can
    /// succeed until a start makes it again. The delegate stops itself gracefully, as for
    /// SIGTERM (intake closed, STOPPING=1, the task in flight finishing within the grace period
    /// and its result still reaching done/), and says why (``DelegateDaemon/stopRequest``: the
    /// process ends with 69, which systemd restarts); a task dropped meanwhile waits in new/.
    /// Before, it logged a rate-limited error at each rescan and ran on, claiming nothing.
    @Test(.timeLimit(.minutes(1))) func claimsRemovedWhileRunningStopTheDelegateGracefullyForAStart() async throws {
        let directory = try TemporaryDirectory(prefix: "services-claims")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDCLAIMS", "secret-key": "claims-key"], in: directory)
        let http = Self.heldAnswers()
        let notifier = RecordingNotifier()
        let recorder = LogRecorder()
        let daemon = try Self.daemon(in: directory, http: http, notifier: notifier, logger: recorder.logger())
        // The launcher's group, whose trigger the daemon's own stop pulls.
        let group = daemon.serviceGroup(logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            try Self.drop("inflight", in: directory)
            #expect(await eventually { http.holding == 1 })
            try FileManager.default.removeItem(atPath: directory.path("spool/cur/services"))
            try Self.drop("waits", in: directory)
            #expect(await eventually { notifier.messages.contains("STOPPING=1") })
            #expect(daemon.stopRequest.reason?.contains("claims directory was removed") == true)
            http.releaseHeld()
            try await running.next()  // the group ends without an error
        }
        #expect(FileManager.default.fileExists(atPath: directory.path("spool/done/inflight.json")))
        #expect(FileManager.default.fileExists(atPath: directory.path("spool/new/waits.json")))
        #expect(recorder.records.contains { $0.contains("stopping, so that systemd starts the delegate again") })
    }

    /// A file system mounted over the spool after the start (or unmounted from under it) shows
    /// another `cur/<delegate>/` at the path, unlocked: the periodic look (every rescan interval)
    /// finds it before any task comes, and the delegate stops itself gracefully for a start
    /// that takes the spool as it now is. Before, claims went on by path, under no lock.
    @Test(.timeLimit(.minutes(1))) func aClaimsDirectoryReplacedWhileRunningStopsTheDelegateForAStart() async throws {
        let directory = try TemporaryDirectory(prefix: "services-replaced")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDCLAIMS", "secret-key": "claims-key"], in: directory)
        let notifier = RecordingNotifier()
        let recorder = LogRecorder()
        let daemon = try Self.daemon(
            in: directory, http: Self.heldAnswers(), notifier: notifier, logger: recorder.logger())
        let group = daemon.serviceGroup(logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            try FileManager.default.moveItem(
                atPath: directory.path("spool/cur/services"), toPath: directory.path("spool/cur/mounted-over"))
            try FileManager.default.createDirectory(
                atPath: directory.path("spool/cur/services"), withIntermediateDirectories: false)
            #expect(await eventually { notifier.messages.contains("STOPPING=1") })
            #expect(daemon.stopRequest.reason?.contains("no longer the one it locked at the start") == true)
            try await running.next()  // the group ends without an error
        }
        #expect(recorder.records.contains { $0.contains("stopping, so that systemd starts the delegate again") })
    }

    /// A reload signal during a stop (config management reloading while a deploy stops the unit)
    /// is not served, and the stop stays graceful: the task in flight finishes, the group ends
    /// without an error. (A reload service ending early made the group cancel everything.)
    @Test func aReloadSignalDuringAStopLeavesTheStopGraceful() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDSERVICES", "secret-key": "services-key"], in: directory)
        let http = Self.heldAnswers()
        let notifier = RecordingNotifier()
        let daemon = try Self.daemon(in: directory, http: http, notifier: notifier, logger: LogRecorder().logger())
        let (signals, send) = AsyncStream<Void>.makeStream()
        let group = ServiceGroup(
            configuration: .init(
                services: daemon.services(reloadSignals: { signals }),
                logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() }))

        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            try Self.drop("inflight", in: directory)
            #expect(await eventually { http.holding == 1 })

            await group.triggerGracefulShutdown()
            #expect(await eventually { notifier.messages.contains("STOPPING=1") })
            send.yield()
            try await Task.sleep(for: .milliseconds(300))
            http.releaseHeld()
            try await running.next()  // throws if the group ended with an error
        }
        let result = try String(contentsOfFile: directory.path("spool/done/inflight.json"), encoding: .utf8)
        #expect(result.contains(#""status":"succeeded""#))
        #expect(!notifier.messages.contains("RELOADING=1"))
    }

    /// A task file its group may write names no principal (another producer in the spool group
    /// could have written it): one naming a named connector is rejected, its journal line naming
    /// the owner (`PEER_UID`) so that an operator finds the producer whose umask is wrong; one
    /// with an inline connector object needs no principal and runs, as before named connectors.
    /// So is one with another name (a hard link: whoever made it could have written the file, or
    /// keep it to queue the task again, as its owner's, after it ran).
    @Test func aTaskFileOthersMayWriteRunsOnlyWithAnInlineConnector() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDSERVICES", "secret-key": "services-key"], in: directory)
        let http = Self.heldAnswers()
        let notifier = RecordingNotifier()
        let recorder = LogRecorder()
        let daemon = try Self.daemon(
            in: directory, http: http, notifier: notifier, logger: recorder.logger(),
            connectorsTOML: Self.openConnector)
        let group = Self.serviceGroup(daemon)
        func drop(_ id: String, _ task: String) throws {
            let staged = directory.path("\(id).staged")
            try Data(task.utf8).write(to: URL(fileURLWithPath: staged))
            #expect(chmod(staged, 0o664) == 0)
            try FileManager.default.moveItem(atPath: staged, toPath: directory.path("spool/new/\(id).json"))
        }

        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            // Its result is named by its task id, not by its file's name, as any task's that was read.
            try drop(
                "named-file", #"{"id":"named","operation":"getSecretValue","connector":"open","params":{"name":"app"}}"#
            )
            try drop(
                "inline",
                try DaemonTestFixtures.task(id: "inline", operation: "getSecretValue", params: ["name": "app"]))
            let linked = directory.path("linked.staged")
            try Data(#"{"id":"linked","operation":"getSecretValue","connector":"open","params":{"name":"app"}}"#.utf8)
                .write(to: URL(fileURLWithPath: linked))
            #expect(chmod(linked, 0o640) == 0)
            #expect(link(linked, directory.path("linked.kept")) == 0)
            try FileManager.default.moveItem(atPath: linked, toPath: directory.path("spool/new/linked.json"))
            #expect(
                await eventually { FileManager.default.fileExists(atPath: directory.path("spool/done/linked.json")) })
            #expect(
                await eventually { FileManager.default.fileExists(atPath: directory.path("spool/done/named.json")) })
            #expect(await eventually { http.holding == 1 })
            http.releaseHeld()
            #expect(
                await eventually { FileManager.default.fileExists(atPath: directory.path("spool/done/inline.json")) })
            await group.triggerGracefulShutdown()
            try await running.next()
        }
        let named = try String(contentsOfFile: directory.path("spool/done/named.json"), encoding: .utf8)
        #expect(named.contains(#""status":"rejected""#) && named.contains("InvalidTask"), "\(named)")
        #expect(named.contains("mode 0664") && named.contains("with a named connector"), "\(named)")
        // The advice is a mode the delegate can read through the spool's group (not 0600).
        #expect(named.contains("create each task file 0640 from the start (umask 027)"), "\(named)")
        #expect(!named.contains("0600"), "\(named)")
        let inline = try String(contentsOfFile: directory.path("spool/done/inline.json"), encoding: .utf8)
        #expect(inline.contains(#""status":"succeeded""#), "\(inline)")
        #expect(http.requests.count == 1, "only the inline task called AWS")
        #expect(named.contains(#""connectorId":"open""#), "\(named)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("spool/new/named-file.json")))
        #expect(!FileManager.default.fileExists(atPath: directory.path("spool/done/named-file.json")))
        let rejection = recorder.records.filter { $0.contains("event=task-rejected") && $0.contains("mode 0664") }
        #expect(rejection.count == 1 && rejection[0].contains("peer_uid=\(geteuid())"), "\(rejection)")
        let linkedResult = try String(contentsOfFile: directory.path("spool/done/linked.json"), encoding: .utf8)
        #expect(linkedResult.contains(#""status":"rejected""#), "\(linkedResult)")
        #expect(linkedResult.contains("has 2 names (hard links)"), "\(linkedResult)")
    }

    /// A second name that goes within a moment (a producer's rename made as a link, then an
    /// unlink, where the file system has no RENAME_NOREPLACE: NFS) is not taken for another
    /// producer's: the task runs.
    @Test func aSecondNameThatGoesAtOnceIsAProducersOwn() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDSERVICES", "secret-key": "services-key"], in: directory)
        let http = ScriptedHTTPClient()
        let answer = DaemonTestFixtures.getSecretValueResponse(name: "e2e/app", value: "not-a-secret")
        http.always(.any, .response(HTTPResponse(status: answer.status, headers: answer.headers, body: answer.body)))
        let notifier = RecordingNotifier()
        let recorder = LogRecorder()
        let daemon = try Self.daemon(
            in: directory, http: http, notifier: notifier, logger: recorder.logger(),
            connectorsTOML: Self.openConnector)
        let group = Self.serviceGroup(daemon)
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            let staged = directory.path("spool/tmp/brief.staged")
            try Data(#"{"id":"brief","operation":"getSecretValue","connector":"open","params":{"name":"app"}}"#.utf8)
                .write(to: URL(fileURLWithPath: staged))
            #expect(chmod(staged, 0o640) == 0)
            // The producer's unlink comes once the delegate has seen two names and waits for a
            // second look: from a thread of its own, which the suite's load on the cooperative
            // pool cannot hold past that look.
            let unlinked = Mutex<Int32?>(nil)
            Thread.detachNewThread {
                // (Ended by a break: a `where` would only skip the body, and go on copying the
                // records to the last iteration before the unlink.)
                for _ in 0..<60_000 {
                    if recorder.records.contains(where: { $0.contains("event=spool-second-name") }) { break }
                    usleep(500)
                }
                unlinked.withLock { $0 = unlink(staged) }
            }
            #expect(link(staged, directory.path("spool/new/brief.json")) == 0)
            #expect(await eventually { unlinked.withLock { $0 } != nil })
            #expect(unlinked.withLock { $0 } == 0)
            #expect(
                await eventually { FileManager.default.fileExists(atPath: directory.path("spool/done/brief.json")) })
            await group.triggerGracefulShutdown()
            try await running.next()
        }
        let result = try String(contentsOfFile: directory.path("spool/done/brief.json"), encoding: .utf8)
        #expect(result.contains(#""status":"succeeded""#), "\(result)")
    }

    @Test func tasksOutlivingTheGracePeriodAreWarnedAboutAndStayClaimed() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDSERVICES", "secret-key": "services-key"], in: directory)
        let http = Self.heldAnswers()
        let recorder = LogRecorder()
        let notifier = RecordingNotifier()
        let daemon = try Self.daemon(
            in: directory, http: http, notifier: notifier, logger: recorder.logger(),
            gracePeriod: .milliseconds(100))
        let group = Self.serviceGroup(daemon)
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            try Self.drop("stuck", in: directory)
            #expect(await eventually { http.holding == 1 })
            await group.triggerGracefulShutdown()
            try await running.next()
        }
        #expect(recorder.records.contains { $0.contains("tasks still running after the grace period are cancelled") })
        #expect(!FileManager.default.fileExists(atPath: directory.path("spool/done/stuck.json")))
        #expect(!FileManager.default.fileExists(atPath: directory.path("spool/new/stuck.json")))
    }

    @Test func aServiceThatCannotStartEndsTheGroupWithItsError() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        // A regular file where the socket should be: the task socket cannot be bound.
        try Data("not a socket".utf8).write(to: URL(fileURLWithPath: directory.path("delegate.sock")))
        let notifier = RecordingNotifier()
        let recorder = LogRecorder()
        let daemon = try Self.daemon(
            in: directory, http: ScriptedHTTPClient(), notifier: notifier, logger: recorder.logger())
        // Warnings held back in a window still open as the start fails: their count is still said.
        for _ in 0..<5 { daemon.logLimiter.warning("held back", key: "held-back", logger: recorder.logger()) }
        let group = Self.serviceGroup(daemon)
        let error = await #expect(throws: TaskQueueError.self) { try await group.run() }
        #expect(error?.code == .socketPathUnusable)
        #expect(!notifier.messages.contains("READY=1"))
        #expect(recorder.records.contains { $0.contains("held back (2 more suppressed)") }, "\(recorder.records)")
        // The file is left alone.
        #expect(try String(contentsOfFile: directory.path("delegate.sock"), encoding: .utf8) == "not a socket")
    }

    /// An SQS receive that never answers, under a request timeout of an hour, does not hold the
    /// stop past its budget: the loops get what is left of it, then the warning says their
    /// messages come back, and the stop goes on.
    @Test func theSQSLoopsSettleWithinTheStopsBudget() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        let http = ScriptedHTTPClient()
        http.always(.any, .hold(.response(HTTPResponse(status: 200, headers: [:], body: Data("{}".utf8)))))
        let recorder = LogRecorder()
        let notifier = RecordingNotifier()
        let daemon = try Self.sqsDaemon(
            in: directory, http: http, notifier: notifier, logger: recorder.logger(), requestTimeoutSeconds: 3600,
            stopBudget: .milliseconds(500))
        let group = Self.serviceGroup(daemon)

        let stopped = try await withThrowingTaskGroup(of: Bool.self) { running in
            running.addTask {
                try await group.run()
                return true
            }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            // The loop's receive is on its way and will not be answered.
            #expect(await eventually { http.holding >= 1 })
            await group.triggerGracefulShutdown()
            running.addTask {
                // Far more than the budget (even on a loaded machine), far less than the hour the
                // receive could take.
                try await Task.sleep(for: .seconds(60))
                return false
            }
            let first = try await running.next() ?? false
            running.cancelAll()
            return first
        }
        #expect(stopped, "the stop waited for the receive past its budget")
        #expect(
            recorder.records.contains {
                $0.contains("the stop's time ran out before every SQS message in hand was settled")
            })
        #expect(!recorder.records.contains { $0.contains("tasks still running after the grace period") })
    }

    static func sqsAnswer(_ body: String) -> ScriptedReply {
        .response(
            HTTPResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: Data(body.utf8)))
    }

    /// Credentials in `directory`, and SQS that hands out one getSecretValue task message, then
    /// holds every receive after it.
    static func oneSQSTask(
        id: String, messageID: String, receiptHandle: String, in directory: TemporaryDirectory
    ) throws -> ScriptedHTTPClient {
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDSERVICES", "secret-key": "services-key"], in: directory)
        let task = try DaemonTestFixtures.task(id: id, operation: "getSecretValue", params: ["name": "app"])
        let message = try JSONSerialization.data(withJSONObject: [
            "Messages": [["MessageId": messageID, "ReceiptHandle": receiptHandle, "Body": task]]
        ])
        let http = ScriptedHTTPClient()
        http.script(.target("AmazonSQS.ReceiveMessage"), sqsAnswer(String(decoding: message, as: UTF8.self)))
        http.always(.target("AmazonSQS.ReceiveMessage"), .hold(sqsAnswer("{}")))
        return http
    }

    /// Scripts the task's read, its lease extensions, its result and its delete, any of them held
    /// until `releaseHeld()`.
    static func answerTheTask(_ http: ScriptedHTTPClient, holdingValue: Bool, holdingDelete: Bool) {
        let value = DaemonTestFixtures.getSecretValueResponse(name: "e2e/app", value: "not-a-secret")
        let read = ScriptedReply.response(HTTPResponse(status: value.status, headers: value.headers, body: value.body))
        http.always(.target("secretsmanager.GetSecretValue"), holdingValue ? .hold(read) : read)
        http.always(.target("AmazonSQS.ChangeMessageVisibility"), sqsAnswer("{}"))
        http.always(
            .target("AmazonSQS.SendMessageBatch"),
            sqsAnswer(#"{"Successful":[{"Id":"0","MessageId":"r-1"}],"Failed":[]}"#))
        let delete = sqsAnswer(#"{"Successful":[{"Id":"0"}],"Failed":[]}"#)
        http.always(.target("AmazonSQS.DeleteMessageBatch"), holdingDelete ? .hold(delete) : delete)
    }

    /// Runs an SQS delegate with `stopBudget` until `http` was asked `once`, stops it, runs
    /// `whileStopping`, and returns what the delegate logged once it ended.
    static func runSQSDaemon(
        directory: TemporaryDirectory, http: ScriptedHTTPClient, stopBudget: Duration, until once: HTTPRequestMatch,
        whileStopping: @Sendable () async throws -> Void = {}
    ) async throws -> LogRecorder {
        let recorder = LogRecorder()
        let notifier = RecordingNotifier()
        let daemon = try Self.sqsDaemon(
            in: directory, http: http, notifier: notifier, logger: recorder.logger(), stopBudget: stopBudget)
        let group = Self.serviceGroup(daemon)
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            #expect(await eventually { notifier.messages.contains("READY=1") })
            #expect(await eventually { !http.requests(once).isEmpty })
            await group.triggerGracefulShutdown()
            try await whileStopping()
            try await running.next()
        }
        return recorder
    }

    /// Runs an SQS delegate with a stop budget of 3 s (1 s of waiting, then the 2 s kept for the
    /// release, so that a loaded machine still makes it) until `http` was asked `once`, stops it,
    /// and returns the releases it sent (ChangeMessageVisibility to 0) and the warning that the
    /// stop's time ran out.
    static func stopOutOfTime(
        directory: TemporaryDirectory, http: ScriptedHTTPClient, once: HTTPRequestMatch
    ) async throws -> (releases: [String], warning: String?) {
        let recorder = try await runSQSDaemon(directory: directory, http: http, stopBudget: .seconds(3), until: once)
        let releases = http.requests(.target("AmazonSQS.ChangeMessageVisibility")).map(\.bodyText)
            .filter { $0.contains(#""VisibilityTimeout":0"#) }
        let warning = recorder.records.first {
            $0.contains("the stop's time ran out before every SQS message in hand was settled")
        }
        return (releases, warning)
    }

    /// A stop whose time runs out with an SQS task still running makes its message visible again
    /// at once (with the receipt handle of its receive), so that another delegate takes it now
    /// rather than after its lease; the warning says how many were.
    @Test func aStopOutOfTimeReleasesTheMessagesOfTasksStillRunning() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        let http = try Self.oneSQSTask(id: "sqs-stuck", messageID: "m-stuck", receiptHandle: "rh-stuck", in: directory)
        // The task's call never answers.
        http.always(.target("secretsmanager.GetSecretValue"), .hold(Self.sqsAnswer("{}")))
        http.always(.target("AmazonSQS.ChangeMessageVisibility"), Self.sqsAnswer("{}"))
        let (releases, warning) = try await Self.stopOutOfTime(
            directory: directory, http: http, once: .target("secretsmanager.GetSecretValue"))
        #expect(releases.count == 1, "\(releases)")
        #expect(releases.first?.contains("rh-stuck") == true)
        #expect(
            warning?.contains("1 whose tasks still ran were made visible again") == true,
            "\(String(describing: warning))")
        #expect(warning?.contains("rh-stuck") == false, "receipt handles stay out of the journal")
    }

    /// A message whose result went out and whose delete is still on its way is not released when
    /// the stop's time runs out: released, it would run again on another delegate.
    @Test func aStopOutOfTimeLeavesAMessageWhoseResultWasSent() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        let http = try Self.oneSQSTask(
            id: "sqs-answered", messageID: "m-answered", receiptHandle: "rh-answered", in: directory)
        // The delete never answers.
        Self.answerTheTask(http, holdingValue: false, holdingDelete: true)
        let (releases, warning) = try await Self.stopOutOfTime(
            directory: directory, http: http, once: .target("AmazonSQS.DeleteMessageBatch"))
        #expect(releases.isEmpty, "\(releases)")
        #expect(
            warning?.contains("0 whose tasks still ran were made visible again") == true,
            "\(String(describing: warning))")
    }

    /// An SQS task still running when the grace period ends is not cut off while the stop has time
    /// left: it finishes, its result is sent and its message deleted, so it does not run again
    /// elsewhere. (The SQS loops were given no time at all once any task outlived the grace.)
    @Test func anSQSTaskOutlivingTheGracePeriodStillSendsItsResultWithinTheBudget() async throws {
        let directory = try TemporaryDirectory(prefix: "services")
        let http = try Self.oneSQSTask(id: "sqs-slow", messageID: "m-1", receiptHandle: "rh-1", in: directory)
        Self.answerTheTask(http, holdingValue: true, holdingDelete: false)
        _ = try await Self.runSQSDaemon(
            directory: directory, http: http, stopBudget: .seconds(20), until: .target("secretsmanager.GetSecretValue")
        ) {
            // Past the grace period, the task's call answers (and the loop's receive with it).
            try await Task.sleep(for: .milliseconds(600))
            http.releaseHeld()
        }
        let sent = http.requests(.target("AmazonSQS.SendMessageBatch")).map(\.bodyText)
        #expect(sent.contains { $0.contains("sqs-slow") && $0.contains("succeeded") }, "\(sent)")
        #expect(!http.requests(.target("AmazonSQS.DeleteMessageBatch")).isEmpty)
    }

    /// A daemon with one SQS task queue and a result queue on an address nothing answers (the
    /// tests script `http`), a 100 ms grace period and `stopBudget`.
    static func sqsDaemon(
        in directory: TemporaryDirectory, http: any HTTPClient, notifier: any ServiceNotifier, logger: Logger,
        requestTimeoutSeconds: Int = 10, stopBudget: Duration
    ) throws -> DelegateDaemon {
        let text =
            DaemonTestFixtures.configuration(
                name: "services", tags: [], directory: directory, endpoint: "http://127.0.0.1:9"
            ).replacingOccurrences(
                of: "request_timeout_seconds = 10", with: "request_timeout_seconds = \(requestTimeoutSeconds)")
            + "\n[sqs]\nqueue_urls = [\"http://127.0.0.1:9/123456789012/tasks\"]\nresult_queue_url = "
            + "\"http://127.0.0.1:9/123456789012/results\"\nwait_seconds = 20\n"
        let configuration = try DelegateConfiguration.load(
            tomlText: text, environment: DaemonTestFixtures.environment(), hostName: "services")
        return try DelegateDaemon(
            settings: .init(
                configuration: configuration, configurationPath: nil, environment: DaemonTestFixtures.environment(),
                gracePeriod: .milliseconds(100), stopBudget: stopBudget),
            notifier: notifier, logger: logger, httpClient: http)
    }

    /// Holds every request until `releaseHeld()`, then answers it with a GetSecretValue value.
    /// The named connector `open` (instanceRole, us-east-1, no principals listed).
    static let openConnector = "[connectors.open]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"

    /// The daemon's services in a group whose own log is quiet.
    static func serviceGroup(_ daemon: DelegateDaemon) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: daemon.services(), logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() }))
    }

    static func heldAnswers() -> ScriptedHTTPClient {
        let http = ScriptedHTTPClient()
        let answer = DaemonTestFixtures.getSecretValueResponse(name: "e2e/app", value: "not-a-secret")
        http.always(
            .any, .hold(.response(HTTPResponse(status: answer.status, headers: answer.headers, body: answer.body))))
        return http
    }

    static func daemon(
        in directory: TemporaryDirectory, http: any HTTPClient, notifier: any ServiceNotifier, logger: Logger,
        gracePeriod: Duration = DelegateDaemon.gracePeriod, connectorsTOML: String = ""
    ) throws -> DelegateDaemon {
        let configuration = try DelegateConfiguration.load(
            tomlText: DaemonTestFixtures.configuration(
                name: "services", tags: [], directory: directory, endpoint: "http://127.0.0.1:9") + connectorsTOML,
            environment: DaemonTestFixtures.environment(), hostName: "services")
        return try DelegateDaemon(
            settings: .init(
                configuration: configuration, configurationPath: nil, environment: DaemonTestFixtures.environment(),
                gracePeriod: gracePeriod),
            notifier: notifier, logger: logger, httpClient: http)
    }

    /// Puts a getSecretValue task into the spool's `new/` with one rename.
    static func drop(_ id: String, in directory: TemporaryDirectory) throws {
        let staged = directory.path("\(id).staged")
        try Data(try DaemonTestFixtures.task(id: id, operation: "getSecretValue", params: ["name": "app"]).utf8)
            .write(to: URL(fileURLWithPath: staged))
        try FileManager.default.moveItem(atPath: staged, toPath: directory.path("spool/new/\(id).json"))
    }
}

/// Records the notifications in the order they were sent.
final class RecordingNotifier: ServiceNotifier {
    private let sent = Mutex([String]())
    /// Called as STOPPING=1 is sent.
    let onStopping = Mutex<(@Sendable () -> Void)?>(nil)

    var messages: [String] { sent.withLock { $0 } }

    func ready() { sent.withLock { $0.append("READY=1") } }
    func reloading() { sent.withLock { $0.append("RELOADING=1") } }
    func stopping() {
        onStopping.withLock { $0 }?()
        sent.withLock { $0.append("STOPPING=1") }
    }
    func status(_ text: String) { sent.withLock { $0.append("STATUS=\(text)") } }
    func watchdog() { sent.withLock { $0.append("WATCHDOG=1") } }
    var watchdogInterval: Duration? { nil }
}

/// The reload rules of the contract (section 8): a reload signal that comes before every intake
/// is open is served once they are and the first READY=1 went out; one that comes during a stop
/// is not served.
@Suite struct ReloadServiceTests {
    @Test func aSignalBeforeReadyIsServedOnceReadyAndOneDuringAStopIsNot() async throws {
        let directory = try TemporaryDirectory(prefix: "reload-service")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDRELOAD", "secret-key": "reload-key"], in: directory)
        let notifier = RecordingNotifier()
        let daemon = try DaemonServicesTests.daemon(
            in: directory, http: ScriptedHTTPClient(), notifier: notifier, logger: LogRecorder().logger())
        let gate = Gate(waitingFor: [ReloadService.name, "intake"])
        let shared = DaemonRun(gate: gate)
        let (signals, send) = AsyncStream<Void>.makeStream()
        let service = ReloadService(daemon: daemon, shared: shared, trap: { signals })
        let reloads = { notifier.messages.filter { $0 == "RELOADING=1" }.count }

        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { await service.run() }
            send.yield()
            // Not served while an intake is still opening...
            try await Task.sleep(for: .milliseconds(300))
            #expect(reloads() == 0)
            // ...nor once every intake is open but before the first READY=1 went out...
            gate.arrive("intake")
            try await Task.sleep(for: .milliseconds(300))
            #expect(reloads() == 0)
            // ...but right after it.
            shared.announced.arrive(DaemonRun.readyAnnounced)
            #expect(await eventually { reloads() == 1 && notifier.messages.last == "READY=1" })

            _ = shared.beginStopping()
            send.yield()
            send.finish()
            try await running.next()
        }
        #expect(reloads() == 1)
    }
}
