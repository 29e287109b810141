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

    private init(reading object: JSONObject) throws {
        let fields = Fields(object: object)
        guard let status = Status(rawValue: try fields.string("status")) else {
            throw ReadingError(description: "status is not succeeded, failed or rejected")
        }
        self.init(
            id: try fields.optionalString("id"), status: status, operation: try fields.optionalString("operation"),
            connectorId: try fields.optionalString("connectorId"), delegate: try fields.string("delegate"),
            receivedAt: try fields.date("receivedAt"), finishedAt: try fields.date("finishedAt"),
            attempts: try fields.integer("attempts"),
            result: object["result"].flatMap { $0 == .null ? nil : $0 },
            error: try fields.optionalObject("error").map { failure in
                let error = Fields(object: failure, prefix: "error.")
                return TaskFailure(
                    code: TaskFailure.Code(rawValue: try error.string("code")), message: try error.string("message"),
                    retryable: try error.bool("retryable"), awsRequestId: try error.optionalString("awsRequestId"))
            },
            sealed: try fields.optionalObject("sealed").map { sealed in
                let seal = Fields(object: sealed, prefix: "sealed.")
                return SealedResult(
                    algorithm: try seal.string("alg"), enc: try seal.base64("enc"), ciphertext: try seal.base64("ciphertext"))
            })
        cached = try fields.optionalBool("cached") ?? false
        stale = try fields.optionalBool("stale") ?? false
    }

    /// The members of one object, each read as the type it must have (a `null` is an absent
    /// optional member).
    private struct Fields {
        let object: JSONObject
        var prefix = ""

        func value(_ key: String) -> JSONValue? {
            guard let value = object[key], value != .null else { return nil }
            return value
        }

        func required<Value>(_ key: String, _ read: (JSONValue) -> Value?, _ kind: String) throws -> Value {
            guard let value = try optional(key, read, kind) else { throw ReadingError(description: "\(prefix)\(key) is missing") }
            return value
        }

        func optional<Value>(_ key: String, _ read: (JSONValue) -> Value?, _ kind: String) throws -> Value? {
            guard let value = value(key) else { return nil }
            guard let read = read(value) else { throw ReadingError(description: "\(prefix)\(key) is not \(kind)") }
            return read
        }

        func string(_ key: String) throws -> String { try required(key, \.stringValue, "a string") }
        func optionalString(_ key: String) throws -> String? { try optional(key, \.stringValue, "a string") }
        func bool(_ key: String) throws -> Bool { try required(key, Self.bool, "true or false") }
        func optionalBool(_ key: String) throws -> Bool? { try optional(key, Self.bool, "true or false") }
        func optionalObject(_ key: String) throws -> JSONObject? { try optional(key, Self.object, "an object") }
        func integer(_ key: String) throws -> Int { try required(key, Self.integer, "a whole number") }

        func date(_ key: String) throws -> Date {
            try required(key, { $0.stringValue.flatMap(Timestamp.parse) }, "an ISO 8601 UTC timestamp")
        }

        func base64(_ key: String) throws -> [UInt8] {
            try required(key, { $0.stringValue.flatMap { Data(base64Encoded: $0) }.map(Array.init) }, "base64")
        }

        static func bool(_ value: JSONValue) -> Bool? {
            if case .bool(let bool) = value { return bool }
            return nil
        }

        static func object(_ value: JSONValue) -> JSONObject? {
            if case .object(let object) = value { return object }
            return nil
        }

        static func integer(_ value: JSONValue) -> Int? {
            if case .integer(let integer) = value { return Int(exactly: integer) }
            return nil
        }
    }
}
