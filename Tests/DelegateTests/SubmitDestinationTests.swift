import DelegateClient
import Foundation
import Glibc
import TaskQueue
import Testing

@testable import Delegate

/// Where `submit` sends, from its options and the configuration.
@Suite struct SubmitDestinationTests {
    typealias Destination = TaskSubmitter.Destination

    static func configuration(_ toml: String) -> () throws(ConfigurationError) -> DelegateConfiguration {
        { () throws(ConfigurationError) in try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "submitter") }
    }

    static func resolve(
        socket: String? = nil, spool: String? = nil, sqs: String? = nil, replyQueue: String? = nil,
        _ load: @escaping () throws(ConfigurationError) -> DelegateConfiguration
    ) -> Result<Destination, TaskSubmitter.RefusedDestination> {
        TaskSubmitter.destination(
            socket: socket, spool: spool, sqs: sqs, replyQueue: replyQueue, configuration: load, environment: [:])
    }

    /// `--socket` and `--spool` are taken as given: the configuration is not read (one that
    /// cannot be loaded is no reason to refuse them).
    @Test func aSocketOrSpoolGivenIsTakenWithoutTheConfiguration() throws {
        let unreadable: () throws(ConfigurationError) -> DelegateConfiguration = { () throws(ConfigurationError) in
            throw ConfigurationError(key: "[queue] socket_path", reason: "read (test)")
        }
        #expect(try Self.resolve(socket: "/run/d.sock", unreadable).get() == .socket("/run/d.sock"))
        #expect(try Self.resolve(spool: "/var/spool/d", unreadable).get() == .spool("/var/spool/d"))
    }

    /// Else the configuration's socket, then its spool; with neither, 64 saying so; a
    /// configuration that cannot be loaded, 78 saying why.
    @Test func otherwiseTheConfigurationsSocketThenItsSpool() throws {
        let both = #"[queue]"# + "\nsocket_path = \"/run/c.sock\"\nspool_dir = \"/var/spool/c\""
        #expect(try Self.resolve(Self.configuration(both)).get() == .socket("/run/c.sock"))
        let spoolOnly = "[queue]\nsocket_path = \"\"\nspool_dir = \"/var/spool/c\""
        #expect(try Self.resolve(Self.configuration(spoolOnly)).get() == .spool("/var/spool/c"))

        let neither = "[queue]\nsocket_path = \"\"\nspool_dir = \"\""
        guard case .failure(let refused) = Self.resolve(Self.configuration(neither)) else {
            Issue.record("a configuration with neither gave a destination")
            return
        }
        #expect(refused.outcome.status == 64)
        #expect(refused.outcome.errorOutput.contains("no --socket or --spool, and the configuration has neither"))

        guard case .failure(let broken) = Self.resolve(Self.configuration("[queue]\nsocket_path = 7")) else {
            Issue.record("a configuration that cannot be loaded gave a destination")
            return
        }
        #expect(broken.outcome.status == 78)
        #expect(broken.outcome.errorOutput.contains("configuration error: "), "\(broken.outcome.errorOutput)")
    }

    /// `--sqs` reads the configuration (its identity and `[aws]`) and carries `--reply-queue`.
    @Test func anSQSQueueComesWithTheConfiguration() throws {
        let queue = "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks"
        let replies = "https://sqs.eu-west-1.amazonaws.com/123456789012/replies"
        guard case .sqs(let destination) = try Self.resolve(sqs: queue, replyQueue: replies, Self.configuration("")).get() else {
            Issue.record("--sqs gave another destination")
            return
        }
        #expect(destination.queueURL == queue && destination.replyQueueURL == replies)
        guard case .failure(let broken) = Self.resolve(sqs: queue, Self.configuration("[aws]\nmax_attempts = 0")) else {
            Issue.record("--sqs with a configuration that cannot be loaded gave a destination")
            return
        }
        #expect(broken.outcome.status == 78)
    }
}

/// `submit --spool` that cannot queue its task: 74 when the system refused the write (the spool
/// is there), 69 when nothing could take the task.
@Suite struct SubmitSpoolFailureStatusTests {
    @Test(arguments: [
        (ENOSPC, ExitStatus.ioError), (EDQUOT, ExitStatus.ioError), (EIO, ExitStatus.ioError),
        (EROFS, ExitStatus.ioError), (EFBIG, ExitStatus.ioError), (ENOMEM, ExitStatus.ioError),
        (ENOENT, ExitStatus.unavailable), (EACCES, ExitStatus.unavailable), (ENOTDIR, ExitStatus.unavailable),
    ])
    func aRefusedWriteIs74AndAnUnusableSpool69(errno number: Int32, status: Int32) {
        let error = TaskQueueError(code: .io, message: "test", path: "/spool/tmp/t.tmp", errno: number)
        #expect(TaskSubmitter.spoolFailureStatus(error) == status)
    }

    @Test func anErrorWithoutAnErrnoIs69() {
        #expect(TaskSubmitter.spoolFailureStatus(TaskQueueError(code: .io, message: "test")) == ExitStatus.unavailable)
    }
}
