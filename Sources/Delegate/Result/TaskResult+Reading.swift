import AWSCore
import FoundationEssentials
import JSON

/// Reading a result line back (`submit --wait`, `open`) with the delegate's own parser, never
/// Foundation's `JSONDecoder`: that stops the whole process on some numbers read as integers
/// (`0.<150 zeros>1e168`), and a result can come from anyone who may write to a reply queue or a
/// spool's `done/`. A line with a key given twice is no result (which value would count?).
extension TaskResult {
    /// Why a line is not a result; the message names the member, never a value.
    struct ReadingError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads one result line (or file).
    public static func decode(jsonLine data: Data) throws -> TaskResult {
        guard let parsed = data.withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0) }) else {
            throw ReadingError(description: "not JSON")
        }
        guard !parsed.hasDuplicateKeys else { throw ReadingError(description: "a key is given twice") }
        guard case .object(let object) = parsed.value else { throw ReadingError(description: "not a JSON object") }
        return try TaskResult(reading: object)
    }

    /// The members read with ``TaskObject``, as a task's are (a `null` is an absent member).
    private init(reading object: JSONObject) throws {
        let fields = TaskObject(path: "", fields: object)
        guard let status = Status(rawValue: try fields.string("status")) else {
            throw ReadingError(description: "status is not succeeded, failed or rejected")
        }
        self.init(
            id: try fields.optionalString("id"), status: status, operation: try fields.optionalString("operation"),
            connectorId: try fields.optionalString("connectorId"), delegate: try fields.string("delegate"),
            receivedAt: try Self.date(fields, "receivedAt"), finishedAt: try Self.date(fields, "finishedAt"),
            attempts: try fields.optionalInt("attempts", range: Int.min...Int.max) ?? { throw fields.missing("attempts") }(),
            result: object["result"].flatMap { $0 == .null ? nil : $0 },
            error: try fields.optionalObject("error").map { error in
                TaskFailure(
                    code: TaskFailure.Code(rawValue: try error.string("code")), message: try error.string("message"),
                    retryable: try error.optionalBool("retryable") ?? { throw error.missing("retryable") }(),
                    awsRequestId: try error.optionalString("awsRequestId"))
            },
            sealed: try fields.optionalObject("sealed").map { sealed in
                SealedResult(
                    algorithm: try sealed.string("alg"), enc: try Self.base64(sealed, "enc"),
                    ciphertext: try Self.base64(sealed, "ciphertext"))
            })
        cached = try fields.optionalBool("cached") ?? false
        stale = try fields.optionalBool("stale") ?? false
    }

    /// Why ``decode(jsonLine:)`` refused a line: the member and the rule broken, never a value.
    static func readingProblem(_ error: any Error) -> String {
        switch error {
        case let error as ReadingError: error.description
        case let problem as TaskProblem: problem.message
        default: "not a result"
        }
    }

    private static func date(_ fields: TaskObject, _ key: String) throws -> Date {
        guard let date = Timestamp.parse(try fields.string(key)) else {
            throw ReadingError(description: "\(fields.label(key)) is not an ISO 8601 UTC timestamp")
        }
        return date
    }

    private static func base64(_ fields: TaskObject, _ key: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: try fields.string(key)) else {
            throw ReadingError(description: "\(fields.label(key)) is not base64")
        }
        return Array(data)
    }
}
