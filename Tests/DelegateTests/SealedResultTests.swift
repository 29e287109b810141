import Foundation
import Logging
import Sealing
import Testing

@testable import Delegate

@Suite struct SealedResultTests {
    let received = Date(timeIntervalSince1970: 1_795_262_400)
    let pair: HPKE.KeyPair
    let key: SealingKey

    init() throws {
        pair = try HPKE.generateKeyPair()
        key = try SealingKey(publicKey: pair.publicKey)
    }

    func succeeded(id: String = "build-4711-db-password") -> TaskResult {
        TaskResult(
            id: id, status: .succeeded, operation: "getSecretValue", connectorId: "awsSmProd", delegate: "build-host-1",
            receivedAt: received, finishedAt: received, attempts: 1,
            result: ["name": "db#password", "value": "s3cr3t-canary"])
    }

    // MARK: sealTo in a task

    @Test func sealToDecodes() throws {
        let task = try DelegateTask.decode(
            TaskFixtures.task { $0["sealTo"] = .string(key.base64) }, defaultID: nil)
        #expect(task.sealTo == key)
        #expect(try DelegateTask.decode(TaskFixtures.task(), defaultID: nil).sealTo == nil)
    }

    @Test(arguments: [
        "not base64!",
        Data(repeating: 9, count: 31).base64EncodedString(),
        Data(repeating: 9, count: 33).base64EncodedString(),
        // Unpadded and URL-safe forms are not standard base64.
        String(Data(repeating: 9, count: 32).base64EncodedString().dropLast()),
        // Small-order points: every sealing to them would fail.
        Data(repeating: 0, count: 32).base64EncodedString(),
        Data([1] + [UInt8](repeating: 0, count: 31)).base64EncodedString(),
        // Not canonical: RFC 7748's Alice public key with its top bit set; p = 2^255 - 19.
        "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTuo=",
        "7f///////////////////////////////////////38=",
    ])
    func badSealToIsAnInvalidTask(sealTo: String) {
        let error = #expect(throws: TaskRejection.self) {
            try DelegateTask.decode(TaskFixtures.task { $0["sealTo"] = .string(sealTo) }, defaultID: nil)
        }
        #expect(error?.code == .invalidTask)
        #expect(error?.message.contains("sealTo") == true)
        #expect(error?.taskID == "build-4711-db-password")
    }

    @Test func sealToMustBeAString() {
        let error = #expect(throws: TaskRejection.self) {
            try DelegateTask.decode(TaskFixtures.task { $0["sealTo"] = 42 }, defaultID: nil)
        }
        #expect(error?.code == .invalidTask)
    }

    /// A null key is what a producer's unset variable makes; read as absent, the result would go
    /// out in the clear to whoever reads the spool's results or the reply queue.
    @Test func aNullSealToIsRefusedNotReadAsAbsent() {
        let error = #expect(throws: TaskRejection.self) {
            try DelegateTask.decode(TaskFixtures.task { $0["sealTo"] = .null }, defaultID: nil)
        }
        #expect(error?.code == .invalidTask)
        #expect(error?.message.contains("sealTo is null") == true)
    }

    // MARK: sealed results

    @Test func aSealedResultHidesTheValueAndOpensBack() throws {
        let plain = succeeded()
        let sealed = try plain.sealed(to: key)
        #expect(sealed.result == nil)
        let box = try #require(sealed.sealed)
        #expect(box.algorithm == "HPKE-X25519-SHA256-ChaCha20Poly1305")
        #expect(box.enc.count == 32)

        let line = sealed.jsonLine
        #expect(!line.contains("s3cr3t-canary"))
        #expect(!line.contains("\"result\""))
        #expect(line.hasPrefix(#"{"id":"build-4711-db-password","status":"succeeded","operation":"getSecretValue","#))
        #expect(line.contains(#""attempts":1,"sealed":{"alg":"HPKE-X25519-SHA256-ChaCha20Poly1305","ciphertext":""#))

        // The plaintext is exactly the JSON of the result object.
        let plaintext = try HPKE.open(
            privateKey: pair.privateKey, enc: box.enc, info: Array("secrets-delegate result v1".utf8),
            aad: Array("build-4711-db-password".utf8), ciphertext: box.ciphertext)
        #expect(String(decoding: plaintext, as: UTF8.self) == #"{"name":"db#password","value":"s3cr3t-canary"}"#)

        let decoded = try TaskResult.decode(jsonLine: Data(line.utf8))
        #expect(decoded == sealed)
        #expect(try TaskResult.decode(jsonLine: JSONEncoder().encode(sealed)) == sealed)
        #expect(try decoded.opened(privateKey: pair.privateKey) == plain)
    }

    @Test func aSealedResultOpensOnlyWithItsKeyAndTaskID() throws {
        let sealed = try succeeded().sealed(to: key)
        let otherKey = try HPKE.generateKeyPair().privateKey
        #expect(throws: SealedResultError.self) { try sealed.opened(privateKey: otherKey) }

        var moved = sealed
        moved.id = "another-task"
        #expect(throws: SealedResultError.self) { try moved.opened(privateKey: pair.privateKey) }

        var tampered = sealed
        tampered.sealed?.ciphertext[0] ^= 1
        let changed = #expect(throws: SealedResultError.self) { try tampered.opened(privateKey: pair.privateKey) }
        #expect(changed?.isAuthenticationFailure == true)

        // An `enc` replaced by a point of small order (all zeros) is a change too (exit 1, not 64).
        var smallOrder = sealed
        smallOrder.sealed?.enc = [UInt8](repeating: 0, count: 32)
        let point = #expect(throws: SealedResultError.self) { try smallOrder.opened(privateKey: pair.privateKey) }
        #expect(point?.isAuthenticationFailure == true, "\(String(describing: point))")

        var otherSuite = sealed
        otherSuite.sealed?.algorithm = "HPKE-P256-SHA256-AES128GCM"
        let error = #expect(throws: SealedResultError.self) { try otherSuite.opened(privateKey: pair.privateKey) }
        #expect(error?.message.contains("HPKE-P256-SHA256-AES128GCM") == true)
    }

    /// A libcrypto that fails to open (no memory, a provider without part of the suite) is the
    /// host's failure, not a changed result or an unusable input: `open` and `submit --seal` exit
    /// 69 for it, and 1 or 64 only for the result itself.
    @Test func aLibcryptoFailureWhileOpeningIsTheHostsNotTheResults() throws {
        let sealed = try succeeded().sealed(to: key)
        let failing = #expect(throws: SealedResultError.self) {
            try sealed.sealed!.open(taskID: sealed.id ?? "", privateKey: pair.privateKey) { _, _, _, _, _ throws(HPKEError) in
                throw HPKEError(code: .openSSL, message: "EVP_AEAD_CTX_open failed (test)")
            }
        }
        #expect(failing?.kind == .hostFailure, "\(String(describing: failing))")
        #expect(failing?.isAuthenticationFailure == false)
        #expect(failing?.message.contains("this host's libcrypto") == true, "\(String(describing: failing))")
        for requireSealed in [false, true] {
            #expect(ResultOpener.status(for: failing!, requireSealed: requireSealed) == 69)
        }

        // The same seam with the real HPKE opens, and a changed result is still the result's.
        #expect(try sealed.sealed!.open(taskID: sealed.id ?? "", privateKey: pair.privateKey, using: HPKE.open) == succeeded().result)
        var tampered = sealed
        tampered.sealed?.ciphertext[0] ^= 1
        let changed = #expect(throws: SealedResultError.self) { try tampered.opened(privateKey: pair.privateKey) }
        #expect(ResultOpener.status(for: changed!, requireSealed: false) == 1)
        let otherSuite = SealedResultError("sealed with another suite")
        #expect(ResultOpener.status(for: otherSuite, requireSealed: false) == 64)
        #expect(ResultOpener.status(for: otherSuite, requireSealed: true) == 1)
    }

    /// A plaintext sealed by anyone with the public key, giving a key twice: refused as a result
    /// line giving a key twice is (exit 64 for `open`, not a first-value-wins answer).
    @Test func aSealedPlaintextGivingAKeyTwiceIsRefused() throws {
        let sealed = try HPKE.seal(
            publicKey: pair.publicKey, info: SealedResult.info, aad: Array("t1".utf8),
            plaintext: Array(#"{"secretString":"real","secretString":"forged"}"#.utf8))
        let result = SealedResult(enc: sealed.enc, ciphertext: sealed.ciphertext)
        let error = #expect(throws: SealedResultError.self) { try result.open(taskID: "t1", privateKey: pair.privateKey) }
        #expect(error?.isAuthenticationFailure == false)
        #expect(error?.message.contains("twice") == true)
        #expect(error?.message.contains("real") == false)

        let once = try HPKE.seal(
            publicKey: pair.publicKey, info: SealedResult.info, aad: Array("t1".utf8),
            plaintext: Array(#"{"secretString":"real"}"#.utf8))
        let opened = try SealedResult(enc: once.enc, ciphertext: once.ciphertext).open(
            taskID: "t1", privateKey: pair.privateKey)
        #expect(opened == .object(["secretString": "real"]))
    }

    @Test func resultsWithoutAResultObjectStayAsTheyAre() throws {
        let failed = TaskResult(
            id: "t1", status: .failed, operation: "getSecretValue", connectorId: "c", delegate: "d",
            receivedAt: received, finishedAt: received, attempts: 1,
            error: TaskFailure(
                code: TaskFailure.Code(rawValue: "ResourceNotFoundException"), message: "m", retryable: false))
        #expect(try failed.sealed(to: key) == failed)
        #expect(try failed.opened(privateKey: pair.privateKey) == failed)
    }

    @Test func theExecutorSealsWhenTheTaskAsks() throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let sealed = TaskExecutor.seal(succeeded(), to: key, logger: logger)
        #expect(sealed.status == .succeeded)
        #expect(sealed.result == nil)
        #expect(try sealed.opened(privateKey: pair.privateKey).result == succeeded().result)
    }

    /// Sealing that fails after the operation ran withholds the result: `failed`, `SealingFailed`,
    /// neither `result` nor `sealed`, and the value nowhere in the line.
    @Test func aResultThatCannotBeSealedIsWithheldNotWrittenInTheClear() throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        // A cache hit, served stale: withheld, it says neither (they describe a value given).
        var cachedStale = succeeded()
        (cachedStale.cached, cachedStale.stale) = (true, true)
        let withheld = TaskExecutor.seal(cachedStale, to: key, logger: logger) { _, _ throws(HPKEError) in
            throw HPKEError(code: .openSSL, message: "EVP_HPKE unavailable")
        }
        #expect(withheld.status == .failed)
        #expect(withheld.error?.code == .sealingFailed)
        #expect(withheld.result == nil && withheld.sealed == nil)
        #expect(!withheld.jsonLine.contains("s3cr3t-canary"), "\(withheld.jsonLine)")
        #expect(!withheld.jsonLine.contains("\"cached\"") && !withheld.jsonLine.contains("\"stale\""), "\(withheld.jsonLine)")
    }
}
