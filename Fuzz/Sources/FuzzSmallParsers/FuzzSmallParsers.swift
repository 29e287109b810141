import FuzzSupport
@testable import AWSCore
@testable import Delegate
import Foundation
@testable import HTTP
import JSON
import SQS
import SecretsManager
@testable import TaskQueue

/// The small parsers that read what a peer or an endpoint sends, each given every input: a
/// response header line (any endpoint or proxy), the credentials socket's peer address (any
/// process that connects), an SQS queue URL (a task's `replyTo`), an HTTP date (the clock-skew
/// correction), a rejected SQS message's `replyTo`, a result line read back (`submit --wait`
/// from a reply queue or `done/`), a spool file name to repair, and any JSON the writer writes
/// back. Each checks what its reader promises, not only that it does not crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSmallParsers(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)

    // A header field's name is never empty; name and value never start or end with a blank.
    let line = bytes.withUnsafeBytes { HTTPHeaderLine($0) }
    func unpadded(_ s: String) -> Bool { s.first != " " && s.first != "\t" && s.last != " " && s.last != "\t" }
    switch line {
    case .field(let name, let value): precondition(!name.isEmpty && unpadded(name) && unpadded(value))
    case .continuation(let value): precondition(unpadded(value))
    case .statusLine, .other: break
    }

    // A request address that parses is systemd's spelling of its unit and id: written back, it
    // reads the same, and neither part can carry a separator or a NUL.
    if let address = try? CredentialRequestAddress.parse(bytes) {
        precondition(!address.unit.contains("/") && !address.id.contains("/"))
        precondition(!address.unit.utf8.contains(0) && !address.id.utf8.contains(0))
        let again = try? CredentialRequestAddress.parse(
            CredentialRequestAddress.sunPath(random: 0x1f, unit: address.unit, id: address.id))
        precondition(again == address)
    }

    // A queue URL taken holds no user information, and reads the same written back.
    if let url = try? SQSQueueURL(text) {
        precondition(!url.url.contains("@"))
        precondition((try? SQSQueueURL(url.description)) == url)
    }

    _ = HTTPDate.parse(text)

    // A connector's prefix fences its tasks in (the text before a NUL the prefix, after it the
    // task's name): a name taken resolves to `prefix/name`, an ARN taken names a secret under
    // the prefix, and a result names it relative to the prefix as the task did.
    if let nul = bytes.firstIndex(of: 0) {
        let prefix = String(decoding: bytes[..<nul], as: UTF8.self)
        let reference = String(decoding: bytes[(nul + 1)...], as: UTF8.self)
        for managed in [false, true] {
            guard
                let taken = try? SecretReference(
                    parsing: reference, prefix: prefix, allowJSONKey: true, allowManaged: managed)
            else { continue }
            precondition(taken.fullName.utf8.allSatisfy { $0 < 0x80 }, "a full name that is not ASCII")
            let fence = SecretReference.normalizedPrefix(prefix)
            guard !fence.isEmpty else { continue }
            if SecretReference.isARN(taken.fullName) {
                let secret = taken.fullName.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
                precondition(
                    secret.count == 7 && secret[6].utf8.starts(with: (fence + "/").utf8), "an ARN outside the prefix")
            } else {
                precondition(taken.fullName == fence + "/" + taken.name, "a name not under the prefix")
                precondition(SecretReference.relativeName(fullName: taken.fullName, prefix: prefix) == taken.name)
            }
        }
    }

    // JSON the parser takes is written back on one line (a socket result, an SQS body) and reads
    // back as the same value.
    if let parsed = bytes.withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0) }), !parsed.hasDuplicateKeys {
        let written = parsed.value.jsonBytes
        precondition(!written.contains(0x0A) && !written.contains(0x0D), "a JSON text written over two lines")
        let again = written.withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) }
        precondition(again.map { same($0.value, parsed.value) } == true, "written JSON did not read back the same")
    }

    // A rejected message's replyTo, read leniently: nil, or a queue URL that reads the same.
    if let replyTo = SQSQueuePoller.readableReplyTo(in: TaskDocument(Data(bytes))) {
        precondition((try? SQSQueueURL(replyTo.description)) == replyTo)
    }

    // A result line read back is written again as one that reads back the same result.
    if let result = try? TaskResult.decode(jsonLine: Data(bytes)) {
        let line = result.jsonLine
        precondition(!line.utf8.contains(0x0A), "a result written over two lines")
        guard let again = try? TaskResult.decode(jsonLine: Data(line.utf8)) else {
            preconditionFailure("a result read back was written as one that cannot be read")
        }
        precondition(again.id == result.id && again.status == result.status && again.error == result.error)
        let sameResult =
            again.result.map { written in result.result.map { same(written, $0) } ?? false } ?? (result.result == nil)
        precondition(sameResult && again.attempts == result.attempts)
        precondition(
            again.sealed == result.sealed && again.delegate == result.delegate && again.operation == result.operation
                && again.connectorId == result.connectorId && again.cached == result.cached
                && again.stale == result.stale,
            "a result's member was not written back as it was read")
        // Times as results carry them: outside 1843-2096 a Double's step nears a microsecond, and a
        // millisecond may be lost at each read and write (no delegate writes such a time).
        let ordinary = { (date: Date) in abs(date.timeIntervalSince1970) < 4_000_000_000 }
        if ordinary(result.receivedAt), ordinary(result.finishedAt) {
            precondition(
                Timestamp.format(again.receivedAt) == Timestamp.format(result.receivedAt)
                    && Timestamp.format(again.finishedAt) == Timestamp.format(result.finishedAt),
                "a result's time was not written back as it was read")
        }
    }

    // Any name the spool renames for being unreadable gets one it can judge: a task file name of
    // ASCII, needing no repair itself, whose stem is a valid task id.
    let repaired = SpoolName.repairedName(bytes)
    precondition(SpoolName.isTaskFileName(repaired) && repaired.utf8.allSatisfy { $0 < 0x80 })
    precondition(!SpoolName.needsRepair(Array(repaired.utf8), isUTF8: true))
    precondition(SpoolName.isValidTaskID(SpoolName.stem(of: repaired)))
    return 0
}

/// Whether two JSON values are the same, numbers compared as numbers: the writer spells a double
/// such as 5e18 `5e+18`, which reads back as the integer it is.
private func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.integer(let x), .integer(let y)): x == y
    case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): Double(x) == y
    case (.number(let x), .number(let y)): x == y
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
        x.count == y.count
            && x.sortedMembers.allSatisfy { member in y[member.key].map { same(member.value, $0) } ?? false }
    default: a == b
    }
}

@_cdecl("FuzzSmallParsers_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzSmallParsers)
}
