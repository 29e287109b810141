import Foundation
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
}
