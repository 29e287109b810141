import AWSCore
import Foundation
import SecretsManager
import Testing

@testable import Delegate

@Suite struct TaskResultTests {
    let received = Date(timeIntervalSince1970: 1_795_262_400)
    let finished = Date(timeIntervalSince1970: 1_795_262_400.042)

    @Test func succeededResultEncodesAsTheSpecShows() {
        let result = TaskResult(
            id: "build-4711-db-password", status: .succeeded, operation: "getSecretValue", connectorId: "awsSmProd",
            delegate: "build-host-1", receivedAt: received, finishedAt: finished, attempts: 1,
            result: ["value": "s3cr3t", "name": "db#password"])
        #expect(
            result.jsonLine
                == #"{"id":"build-4711-db-password","status":"succeeded","operation":"getSecretValue","#
                + #""connectorId":"awsSmProd","delegate":"build-host-1","receivedAt":"2026-11-21T12:00:00.000Z","#
                + #""finishedAt":"2026-11-21T12:00:00.042Z","attempts":1,"#
                + #""result":{"name":"db#password","value":"s3cr3t"}}"#)
    }

    @Test func failedResultCarriesTheError() {
        let result = TaskResult(
            id: "t1", status: .failed, operation: "describeSecret", connectorId: "c", delegate: "d",
            receivedAt: received, finishedAt: finished, attempts: 3,
            error: TaskFailure(
                code: TaskFailure.Code(rawValue: "ResourceNotFoundException"),
                message: "Secrets Manager can't find the specified secret.", retryable: false, awsRequestId: "a1b2-c3"))
        #expect(
            result.jsonLine
                == #"{"id":"t1","status":"failed","operation":"describeSecret","connectorId":"c","delegate":"d","#
                + #""receivedAt":"2026-11-21T12:00:00.000Z","finishedAt":"2026-11-21T12:00:00.042Z","attempts":3,"#
                + #""error":{"awsRequestId":"a1b2-c3","code":"ResourceNotFoundException","#
                + #""message":"Secrets Manager can't find the specified secret.","retryable":false}}"#)
    }

    @Test func linesNeverContainNewlinesAndValuesAreEscaped() {
        let result = TaskResult(
            id: nil, status: .rejected, operation: nil, connectorId: nil, delegate: "d", receivedAt: received,
            finishedAt: received, attempts: 0,
            result: [
                "text": "line1\nline2\t\"q\" \\ / \u{01} \u{2028}", "n": 1.5, "i": 42, "whole": 3.0,
                "inf": .number(.infinity),
                "list": [true, false, nil], "nested": ["b": 1, "a": [:]],
            ])
        let line = result.jsonLine
        #expect(!line.contains("\n"))
        #expect(
            line
                == #"{"status":"rejected","delegate":"d","receivedAt":"2026-11-21T12:00:00.000Z","#
                + #""finishedAt":"2026-11-21T12:00:00.000Z","attempts":0,"result":{"i":42,"inf":null,"#
                + #""list":[true,false,null],"n":1.5,"nested":{"a":{},"b":1},"#
                + #""text":"line1\nline2\t\"q\" \\ / \u0001 \u2028","whole":3}}"#)
    }

    @Test func resultsDecodeBack() throws {
        let result = TaskResult(
            id: "t1", status: .failed, operation: "getSecretValue", connectorId: "c", delegate: "d",
            receivedAt: received, finishedAt: finished, attempts: 2, result: ["a": [1, "x"]],
            error: TaskFailure(code: .deadlineExceeded, message: "m", retryable: true))
        let decoded = try TaskResult.decode(jsonLine: Data(result.jsonLine.utf8))
        #expect(decoded.id == result.id)
        #expect(decoded.status == .failed)
        #expect(decoded.error == result.error)
        #expect(decoded.result == result.result)
        #expect(Timestamp.format(decoded.finishedAt) == "2026-11-21T12:00:00.042Z")
        #expect(decoded.jsonLine == result.jsonLine)
        // A JSONEncoder gives the same fields.
        let encoded = try JSONEncoder().encode(result)
        #expect(try TaskResult.decode(jsonLine: encoded).jsonLine == result.jsonLine)
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_795_262_400.042, "2026-11-21T12:00:00.042Z"),
        (951_782_400.999_9, "2000-02-29T00:00:00.999Z"),
        (4_107_542_399.5, "2100-02-28T23:59:59.500Z"),
        (-1.0, "1969-12-31T23:59:59.000Z"),
        (253_402_300_799.0, "9999-12-31T23:59:59.000Z"),
    ])
    func timestamps(seconds: Double, expected: String) throws {
        let formatted = Timestamp.format(Date(timeIntervalSince1970: seconds))
        #expect(formatted == expected)
        let parsed = try #require(Timestamp.parse(expected))
        #expect(Timestamp.format(parsed) == expected)
    }

    @Test func timestampParsingRefusesGarbage() throws {
        for text in [
            "", "2026-11-21", "2026-11-21T12:00:00", "2026-13-21T12:00:00Z", "2026-11-21T12:00:00.Z",
            "2026-11-21T12:00:00.1234567890123456789Z", "2026-11-21 12:00:00Z",
            // Days a month does not have are no dates (not the next month's first days).
            "2023-02-29T00:00:00Z", "2024-04-31T12:00:00Z", "1900-02-29T00:00:00Z", "2026-11-00T00:00:00Z",
        ] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
        #expect(Timestamp.parse("2026-11-21T12:00:00Z") == Date(timeIntervalSince1970: 1_795_262_400))
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(Timestamp.format(try #require(Timestamp.parse("2026-12-04T07:00:05.123Z"))) == "2026-12-04T07:00:05.123Z")
    }
}

@Suite struct TaskFailureMappingTests {
    @Test func aCallCancelledByAStopIsReportedAsDelegateStopping() {
        let failure = TaskFailure(AWSError(kind: .transport, code: .cancelled, message: "the call was cancelled"))
        #expect(failure.code == .delegateStopping)
        #expect(failure.retryable)
        let other = TaskFailure(AWSError(kind: .service, code: AWSError.Code(rawValue: "ThrottlingException"), message: "slow down", retryable: true))
        #expect(other.code == TaskFailure.Code(rawValue: "ThrottlingException"))
    }
}
