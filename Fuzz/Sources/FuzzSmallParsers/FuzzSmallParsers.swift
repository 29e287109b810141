import FuzzSupport
@testable import AWSCore
@testable import Delegate
import Foundation
@testable import HTTP
import SQS

/// The small parsers that read what a peer or an endpoint sends, each given every input: a
/// response header line (any endpoint or proxy), the credentials socket's peer address (any
/// process that connects), an SQS queue URL (a task's `replyTo`) and an HTTP date (the clock-skew
/// correction). Each checks what its reader promises, not only that it does not crash.
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
    return 0
}

@_cdecl("FuzzSmallParsers_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzSmallParsers)
}
