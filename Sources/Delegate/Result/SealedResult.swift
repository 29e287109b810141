import FoundationEssentials
import JSON
import Sealing

/// A result's `result` object sealed to the task's `sealTo` key (docs/INTERFACE.md section 13):
/// RFC 9180 HPKE base mode, `info` = `secrets-delegate result v1`, `aad` = the task id, the
/// plaintext the JSON text of the `result` object.
public struct SealedResult: Sendable, Equatable {
    /// The suite, as written in `alg`.
    public static let algorithm = HPKE.algorithm
    /// HPKE's `info`: binds every sealed result to this purpose and version.
    public static let info = Array("secrets-delegate result v1".utf8)

    public var algorithm: String
    /// HPKE's encapsulated key (32 bytes).
    public var enc: [UInt8]
    /// The sealed JSON, 16 bytes longer than it.
    public var ciphertext: [UInt8]

    public init(algorithm: String = Self.algorithm, enc: [UInt8], ciphertext: [UInt8]) {
        self.algorithm = algorithm
        self.enc = enc
        self.ciphertext = ciphertext
    }

    /// Seals `result` for the task `taskID` to `key`.
    public static func seal(_ result: JSONValue, taskID: String, to key: SealingKey) throws(HPKEError) -> SealedResult {
        let sealed = try HPKE.seal(
            publicKey: key.publicKey, info: info, aad: Array(taskID.utf8), plaintext: result.jsonBytes)
        return SealedResult(enc: sealed.enc, ciphertext: sealed.ciphertext)
    }

    /// The `result` object this holds, if it was sealed for `taskID` to the public key of
    /// `privateKey` and nothing about it changed since.
    public func open(taskID: String, privateKey: [UInt8]) throws(SealedResultError) -> JSONValue {
        try open(taskID: taskID, privateKey: privateKey, using: HPKE.open)
    }

    /// ``open(taskID:privateKey:)`` with the HPKE open it calls (for tests: a libcrypto that fails).
    func open(
        taskID: String, privateKey: [UInt8],
        using hpkeOpen: (_ privateKey: [UInt8], _ enc: [UInt8], _ info: [UInt8], _ aad: [UInt8], _ ciphertext: [UInt8])
            throws(HPKEError) -> [UInt8]
    ) throws(SealedResultError) -> JSONValue {
        guard algorithm == Self.algorithm else {
            throw SealedResultError("the result is sealed with \(algorithm), not \(Self.algorithm)")
        }
        let plaintext: [UInt8]
        do {
            plaintext = try hpkeOpen(privateKey, enc, Self.info, Array(taskID.utf8), ciphertext)
        } catch {
            switch error.code {
            // An `enc` of the right length that is not a usable point (small order) is a change
            // to the sealed result like any other: it does not authenticate.
            case .authenticationFailed, .invalidPublicKey:
                throw SealedResultError(
                    "the sealed result does not authenticate: another key, another task id, or it was changed",
                    kind: .doesNotAuthenticate)
            // The host's libcrypto, not the result: another host may open it.
            case .openSSL:
                throw SealedResultError(
                    "this host's libcrypto could not open the sealed result: \(error)", kind: .hostFailure)
            default:
                throw SealedResultError("the sealed result cannot be opened: \(error)")
            }
        }
        // Parsed in place: the plaintext holds the secret, so no copy is made of it.
        guard let parsed = plaintext.withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0) }),
            case .object = parsed.value
        else {
            throw SealedResultError("the sealed result holds no JSON object")
        }
        // As for a result line: a key given twice is no result (which value would count?).
        // Anyone with the public key can seal, so this is the same rule, not a weaker one.
        guard !parsed.hasDuplicateKeys else { throw SealedResultError("the sealed result gives a key twice") }
        return parsed.value
    }

    var jsonValue: JSONValue {
        .object([
            "alg": .string(algorithm), "enc": .string(Data(enc).base64EncodedString()),
            "ciphertext": .string(Data(ciphertext).base64EncodedString()),
        ])
    }
}

extension SealedResult: Codable {
    enum CodingKeys: String, CodingKey {
        case algorithm = "alg"
        case enc, ciphertext
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try container.decode(String.self, forKey: .algorithm)
        enc = try Self.decodeBase64(container, .enc)
        ciphertext = try Self.decodeBase64(container, .ciphertext)
    }

    private static func decodeBase64(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws
        -> [UInt8]
    {
        guard let data = Data(base64Encoded: try container.decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not base64")
        }
        return Array(data)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(Data(enc).base64EncodedString(), forKey: .enc)
        try container.encode(Data(ciphertext).base64EncodedString(), forKey: .ciphertext)
    }
}

/// Why a sealed result (or its key) could not be used. The message never holds key material or
/// plaintext.
public struct SealedResultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is: `open` exits 64, 1 or 69 for them.
    public enum Kind: Sendable, Equatable {
        /// An unusable key file or input (another algorithm, a malformed `enc` or plaintext).
        case unusable
        /// The sealed result does not authenticate: another key, another task id, or changed.
        case doesNotAuthenticate
        /// The host's libcrypto failed (no memory, a provider without part of the suite): the
        /// result and key may be fine, and another host may open it.
        case hostFailure
    }

    public var message: String
    public var kind: Kind

    public init(_ message: String, kind: Kind = .unusable) {
        self.message = message
        self.kind = kind
    }

    /// The sealed result does not authenticate (another key, another task id, changed).
    public var isAuthenticationFailure: Bool { kind == .doesNotAuthenticate }

    public var description: String { message }
}
