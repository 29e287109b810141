import Foundation
import TestSupport

/// pyhpke (PyPI), an independent HPKE implementation, run as a child process: one JSON request
/// on standard input, one JSON answer on standard output. Byte strings travel as base64.
///
/// The test installs nothing: without pyhpke it fails, saying how to install it.
public enum PyHPKE {
    public static let requirement = "pyhpke>=0.6,<0.7"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// pyhpke's `seal` to a raw X25519 public key.
    public static func seal(
        publicKey: [UInt8], info: [UInt8], aad: [UInt8], plaintext: [UInt8]
    ) async throws -> (enc: [UInt8], ciphertext: [UInt8]) {
        let answer = try await run([
            "op": "seal", "publicKey": b64(publicKey), "info": b64(info), "aad": b64(aad), "plaintext": b64(plaintext),
        ])
        return (try bytes(answer, "enc"), try bytes(answer, "ciphertext"))
    }

    /// pyhpke's `open`: the plaintext, or nil if pyhpke says the ciphertext does not authenticate.
    public static func open(
        privateKey: [UInt8], enc: [UInt8], info: [UInt8], aad: [UInt8], ciphertext: [UInt8]
    ) async throws -> [UInt8]? {
        let answer = try await run([
            "op": "open", "privateKey": b64(privateKey), "enc": b64(enc), "info": b64(info), "aad": b64(aad),
            "ciphertext": b64(ciphertext),
        ])
        // nil only for pyhpke's own refusal to open (authentication failed); any other error, a
        // broken request say, is no refusal and fails the test.
        if let error = answer["error"] {
            guard error == "OpenError" else { throw Failure(description: "pyhpke could not open for another reason: \(error)") }
            return nil
        }
        return try bytes(answer, "plaintext")
    }

    private static func run(_ request: [String: String]) async throws -> [String: String] {
        let input = try JSONSerialization.data(withJSONObject: request)
        let outcome = try await ChildProcess.run(
            "/usr/bin/env", [TestPython.interpreter, "-c", script], environment: ProcessInfo.processInfo.environment, input: input,
            timeout: .seconds(60))
        if outcome.termination == .exited(3) {
            throw Failure(
                description:
                    "pyhpke is not installed for \(TestPython.interpreter) (\(outcome.errorOutput.trimmingCharacters(in: .newlines))); "
                    + "install it with: python3 -m pip install '\(requirement)' (make deps does)")
        }
        guard outcome.termination == .exited(0),
            let answer = try? JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: String]
        else {
            throw Failure(description: "the pyhpke helper \(outcome.termination): \(outcome.errorOutput)")
        }
        return answer
    }

    private static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    private static func bytes(_ answer: [String: String], _ key: String) throws -> [UInt8] {
        guard let text = answer[key], let data = Data(base64Encoded: text) else {
            throw Failure(description: "the pyhpke helper gave no \(key)")
        }
        return Array(data)
    }

    /// Exit status 3: pyhpke (or `cryptography`) is missing.
    private static let script = """
        import base64, json, sys
        try:
            from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
            from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey
        except ImportError as error:
            print(error, file=sys.stderr)
            sys.exit(3)
        suite = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)
        request = json.load(sys.stdin)
        field = lambda name: base64.b64decode(request[name])
        text = lambda data: base64.b64encode(data).decode()
        if request["op"] == "seal":
            recipient = KEMKey.from_pyca_cryptography_key(X25519PublicKey.from_public_bytes(field("publicKey")))
            enc, sender = suite.create_sender_context(recipient, info=field("info"))
            answer = {"enc": text(enc), "ciphertext": text(sender.seal(field("plaintext"), aad=field("aad")))}
        else:
            key = KEMKey.from_pyca_cryptography_key(X25519PrivateKey.from_private_bytes(field("privateKey")))
            try:
                context = suite.create_recipient_context(field("enc"), key, info=field("info"))
                answer = {"plaintext": text(context.open(field("ciphertext"), aad=field("aad")))}
            except Exception as error:
                answer = {"error": type(error).__name__}
        print(json.dumps(answer))
        """
}
