import FuzzSupport
@testable import Delegate
import Foundation
import JSON
import Sealing

/// Sealed results as their producer reads them: whoever may write `done/` or send to the reply
/// queue chooses these bytes. The first byte picks what the rest is:
/// - even: a result line, read as `submit --seal --wait` reads its answer (taken only if its id is
///   the task's and it opens, or is a failure with nothing to seal; never one this host's
///   libcrypto cannot open, whatever the bytes) and as `open` prints it;
/// - odd: a plaintext, sealed here to the key for task `t` and opened again: it opens exactly
///   when it is one JSON object without a key given twice, as that object, and never for
///   another task id.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSealedResult(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    guard let mode = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    if mode % 2 == 0 {
        readResultLine(rest)
    } else {
        sealAndOpen(rest)
    }
    return 0
}

/// The seeds' key: 32 bytes of 7 (Fuzz/Corpus/FuzzSealedResult was sealed to its public key).
private let privateKey = [UInt8](repeating: 7, count: 32)
private let publicKey = try! HPKE.publicKey(privateKey: privateKey)

private func readResultLine(_ rest: [UInt8]) {
    let text = String(decoding: rest, as: UTF8.self)
    // submit --seal: what it takes is the task's, and either opens or carries nothing to seal.
    let reading = TaskSubmitter.reading(text, of: "t", privateKey: privateKey, open: TaskSubmitter.open)
    // No bytes make a working libcrypto fail: a forger cannot pass a result off as one this host
    // cannot open (which would end another's wait and be deleted).
    if case .unopenable(let error) = reading { preconditionFailure("a forged result read as unopenable: \(error)") }
    if case .result(let taken) = reading {
        precondition(taken.id == "t")
        if taken.sealed != nil {
            precondition((try? taken.opened(privateKey: privateKey)) != nil, "a sealed answer taken that does not open")
        } else {
            precondition(taken.result == nil && taken.status != .succeeded, "an unsealed answer taken")
        }
        // And printed as submit prints it: opened, with the task's status (1 for a failure).
        let printed = TaskSubmitter.outcome(for: taken, text: text, privateKey: privateKey)
        precondition(printed.status == (taken.status == .succeeded ? 0 : 1), "an answer taken printed with \(printed.status)")
        precondition(!printed.output.isEmpty, "an answer taken and not printed")
    }
    // open: any result gets one of its statuses; what it prints as opened is a result without
    // `sealed`, of the same task.
    guard let result = try? TaskResult.decode(jsonLine: Data(rest)) else { return }
    let outcome = ResultOpener.outcome(opening: result, privateKey: privateKey, status: 0)
    precondition([0, 1, 64, 69].contains(outcome.status), "open exited \(outcome.status)")
    if outcome.status == 0, result.sealed != nil {
        guard let opened = try? TaskResult.decode(jsonLine: Data(outcome.output.utf8)) else {
            preconditionFailure("open printed an opened result that cannot be read back")
        }
        precondition(opened.sealed == nil && opened.id == result.id && opened.status == result.status)
    }
    if outcome.status != 0 { precondition(outcome.output.isEmpty, "open printed something for a result it refused") }
}

private func sealAndOpen(_ plaintext: [UInt8]) {
    let sealed = try! HPKE.seal(publicKey: publicKey, info: SealedResult.info, aad: Array("t".utf8), plaintext: plaintext)
    let result = SealedResult(enc: sealed.enc, ciphertext: sealed.ciphertext)
    let parsed = plaintext.withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) }
    var isObject = false
    if let parsed, case .object = parsed.value { isObject = !parsed.hasDuplicateKeys }
    do {
        let value = try result.open(taskID: "t", privateKey: privateKey)
        precondition(isObject && value == parsed?.value, "opened to another value than was sealed")
    } catch {
        precondition(!isObject && error.kind == .unusable, "a sealed object refused: \(error)")
    }
    do {
        _ = try result.open(taskID: "u", privateKey: privateKey)
        preconditionFailure("a result sealed for task t opened for task u")
    } catch {
        precondition(error.kind == .doesNotAuthenticate)
    }
}

@_cdecl("FuzzSealedResult_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzSealedResult)
}
