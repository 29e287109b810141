import Glibc
import Logging
import Systemd
import Testing

@Suite struct LogDestinationTests {
    /// `device:inode` of this process's stderr, as systemd would put it in `$JOURNAL_STREAM`.
    private func standardErrorStream() throws -> String {
        var status = stat()
        try #require(fstat(STDERR_FILENO, &status) == 0)
        return "\(status.st_dev):\(status.st_ino)"
    }

    @Test func journalWhenJournalStreamIsStandardError() throws {
        let stream = try standardErrorStream()
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": stream]) == .journal)
    }

    @Test(arguments: [
        [:],
        ["JOURNAL_STREAM": "1:2"],
        ["JOURNAL_STREAM": "garbage"],
        ["JOURNAL_STREAM": ""],
        ["NOTIFY_SOCKET": "/run/systemd/notify"],
    ])
    func stderrOtherwise(environment: [String: String]) {
        #expect(LogDestination.detect(environment: environment) == .stderr)
    }

    @Test func anExplicitRequestWins() throws {
        let stream = try standardErrorStream()
        #expect(LogDestination.detect(environment: [:], requested: .journal) == .journal)
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": stream], requested: .stderr) == .stderr)
    }

    @Test(arguments: [
        ("8:12345", true),
        ("8:12346", false),
        ("9:12345", false),
        ("8:12345:1", false),
        ("8", false),
        ("-8:12345", false),
    ])
    func parsesJournalStream(value: String, matches: Bool) {
        #expect(LogDestination.journalStream(value, matches: FileIdentity(device: 8, inode: 12345)) == matches)
    }

    @Test func makesTheHandlerForTheDestination() {
        let setting = LogLevelSetting(.debug)
        let journal = makeLogHandler(label: "a", destination: .journal, level: setting)
        var stderr = makeLogHandler(label: "b", destination: .stderr, level: setting)
        #expect(journal is JournalLogHandler)
        #expect(stderr is StderrLogHandler)
        #expect(journal.logLevel == .debug && stderr.logLevel == .debug)
        #expect(makeLogHandler(label: "c", destination: .stderr).logLevel == .info)
        // A reload sets the one level every handler (every logger's copy) reads.
        setting.level = .warning
        #expect(journal.logLevel == .warning && stderr.logLevel == .warning)
        // One logger's own level is its own.
        stderr.logLevel = .error
        setting.level = .notice
        #expect(stderr.logLevel == .error && journal.logLevel == .notice)
        for level in Logger.Level.allCases {
            setting.level = level
            #expect(setting.level == level)
        }
    }
}
