import FuzzSupport
import Foundation
import SigV4

private let signer = SigV4Signer(
    credentials: Credentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "fuzz-session-token"),
    region: "us-east-1", service: "secretsmanager")
private let date = Date(timeIntervalSince1970: 1_440_938_160)

/// The canonicalizer behind `SigV4Signer.sign`, with the request from the input: lines are
/// method, path, query, then `name:value` headers; anything after a NUL byte is the body.
/// Every option combination is signed; a signature is 64 lowercase hex digits, the same when the
/// request is signed again, and the authorization and the string to sign agree with it and
/// with the canonical request (its SHA-256 is the string to sign's last line).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSigV4(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
    let body = split < bytes.endIndex ? Array(bytes[(split + 1)...]) : []
    let lines = String(decoding: bytes[..<split], as: UTF8.self)
        .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    func line(_ index: Int) -> String { index < lines.count ? lines[index] : "" }
    var headers: [(name: String, value: String)] = []
    for header in lines.dropFirst(3) {
        let parts = header.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        headers.append((name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : ""))
    }
    let request = SigV4Request(
        method: line(0), path: line(1), query: line(2), headers: headers, payload: .bytes(body))
    for options in [
        SigV4Options(), .s3, SigV4Options(normalizePath: true, doubleEncodePath: false, omitSessionToken: true),
    ] {
        guard let signed = try? signer.sign(request, date: date, options: options) else { continue }
        precondition(signed.signature.utf8.count == 64 && signed.signature.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        precondition((try? signer.sign(request, date: date, options: options))?.signature == signed.signature)
        precondition(signed.authorization.hasSuffix("SignedHeaders=\(signed.signedHeaders), Signature=\(signed.signature)"))
        precondition(signed.authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, "))
        let canonicalHash = (try? SHA256Digest.hash(Array(signed.canonicalRequest.utf8))).map(Hex.encode)
        precondition(canonicalHash != nil && signed.stringToSign.hasSuffix("\n" + canonicalHash!))
        precondition(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false).dropLast().last.map(String.init)
            == signed.signedHeaders)
    }
    return 0
}

@_cdecl("FuzzSigV4_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzSigV4)
}
