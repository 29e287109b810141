import Foundation
import JSON
import Logging
import TaskQueue
import Testing

@testable import Delegate

@Suite struct SocketIntakeTests {
    @Test(
        arguments: [
            (#"{"control":"status"}"#, "status"),
            (#"  { "control" : "status" }"#, "status"),
            (#"{"id":"x","control":"status","pad":"\"control\""}"#, "status"),
            (#"{"id":"t","operation":"getSecretValue","params":{"name":"control"}}"#, nil),
            (#"{"id":"t","params":{"name":"\"control\""}}"#, nil),
            (#"{"contro":"status"}"#, nil),
            (#""control"#, nil),
            ("", nil),
            // A repeated key makes a line no control line (as it makes a task invalid).
            (#"{"control":"x","control":"status"}"#, nil),
            // A task that happens to hold a "control" is a task (its rejection names its id).
            (#"{"id":"t1","control":"x","operation":"getSecretValue","params":{"name":"n"}}"#, nil),
            (#"{"operation":null,"control":"status"}"#, nil),
            // The same object with its key spelled with escapes is the same control line.
            (#"{"\u0063ontrol":"status"}"#, "status"),
            (#"{"\u0063ontrol":"status","\u006fperation":"getSecretValue"}"#, nil),
        ] as [(String, String?)])
    func controlLinesAreRecognisedAndTaskLinesAreNot(line: String, command: String?) {
        #expect(SocketIntake.controlCommand(in: TaskDocument(Data(line.utf8))) == command)
    }

    /// A control line is under 4 KiB, white space padding included: at 4096 bytes it is taken
    /// for a task.
    @Test func aControlLineOf4KiBOrMoreIsATask() {
        let control = #"{"control":"status"}"#
        let under = control + String(repeating: " ", count: 4095 - control.utf8.count)
        let at = under + " "
        #expect(under.utf8.count == 4095 && at.utf8.count == 4096)
        #expect(SocketIntake.controlCommand(in: TaskDocument(Data(under.utf8))) == "status")
        #expect(SocketIntake.controlCommand(in: TaskDocument(Data(at.utf8))) == nil)
    }

    /// An unknown control command is named in its answer as any peer's value is quoted: cut at
    /// 64 characters, its bidirectional overrides shown, not echoed whole.
    @Test func anUnknownControlCommandIsQuotedCutAndShown() async throws {
        let intake = SocketIntake(
            dispatcher: ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDCONTROL"),
            statusReport: { .null }, logLimiter: LogRateLimiter(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let command = "\u{202E}" + String(repeating: "x", count: 200)
        let line = JSONValue.object(["control": .string(command)]).jsonText
        let answer = await intake.handle(Data(line.utf8), peer: PeerCredentials(pid: 1, uid: 0, gid: 0))
        let reply = try #require(try JSONSerialization.jsonObject(with: answer) as? [String: Any])
        #expect(reply["error"] as? String == "UnknownControl")
        let message = try #require(reply["message"] as? String)
        #expect(!message.unicodeScalars.contains("\u{202E}") && message.contains("\\u{202e}"), "\(message)")
        #expect(message.utf8.count < 120, "\(message)")
        #expect(message.hasPrefix("unknown control command '"), "\(message)")
    }
}
