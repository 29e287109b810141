import Foundation
import JSON
import Testing

@testable import Delegate

/// Result lines are read with the delegate's own parser: a result can come from anyone who may
/// write to a reply queue or a spool's `done/`, and Foundation's `JSONDecoder` stopped the
/// process on some numbers read as integers.
@Suite struct ResultReadingTests {
    static let head = #"{"id":"t","status":"failed","delegate":"x","receivedAt":"2026-11-21T12:00:00.000Z","finishedAt":"2026-11-21T12:00:00.000Z""#
    /// `0.<150 zeros>1e168`: 1e17 spelled so that `JSONDecoder` took its `Decimal` path and trapped.
    static let trap = "0." + String(repeating: "0", count: 150) + "1e168"

    @Test func aNumberThatStoppedFoundationsDecoderIsReadOrRefusedNotACrash() throws {
        let inResult = try TaskResult.decode(jsonLine: Data((Self.head + #","attempts":1,"result":{"v":\#(Self.trap)}}"#).utf8))
        #expect(inResult.attempts == 1)
        let parsed = try #require(Data(Self.trap.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) })
        #expect(inResult.result == .object(["v": parsed.value]))
        // As `attempts`: whatever it reads as, the process goes on.
        _ = try? TaskResult.decode(jsonLine: Data((Self.head + #","attempts":\#(Self.trap)}"#).utf8))
    }

    @Test func aLineWrittenByTheDelegateReadsBackTheSame() throws {
        let result = TaskResult(
            id: "t-1", status: .failed, operation: "getSecretValue", connectorId: "prod", delegate: "d",
            receivedAt: Date(timeIntervalSince1970: 1_795_262_400), finishedAt: Date(timeIntervalSince1970: 1_795_262_401),
            attempts: 3, result: ["name": "db", "n": 1.5],
            error: TaskFailure(code: .init(rawValue: "AccessDeniedException"), message: "no", retryable: false, awsRequestId: "r-1"),
            sealed: SealedResult(enc: [1, 2, 3], ciphertext: [4, 5]))
        var cached = result
        cached.cached = true
        cached.stale = true
        for line in [result.jsonLine, cached.jsonLine] {
            let read = try TaskResult.decode(jsonLine: Data(line.utf8))
            #expect(read.jsonLine == line)
        }
    }

    @Test(arguments: [
        (#","attempts":1,"status":"succeeded"}"#, "a key is given twice"),
        (#","attempts":"1"}"#, "attempts must be a whole number"),
        (#","attempts":1.5}"#, "attempts must be a whole number"),
        (#"}"#, "attempts is required"),
        (#","attempts":1,"error":{"code":"X","message":"m"}}"#, "error.retryable is required"),
        (#","attempts":1,"sealed":{"alg":"a","enc":"!","ciphertext":""}}"#, "sealed.enc is not base64"),
    ])
    func whatIsNoResultIsRefusedSayingWhy(tail: String, reason: String) {
        let error = #expect(throws: (any Error).self) {
            try TaskResult.decode(jsonLine: Data((Self.head + tail).utf8))
        }
        let message = (error as? TaskResult.ReadingError)?.description ?? (error as? TaskProblem)?.message
        #expect(message?.hasPrefix(reason) == true, "\(String(describing: message))")
    }
}
