import AWSCore
import Foundation
import Testing

@testable import SecretsManager

/// `name#key` picks one field of a JSON secret, parsed in place. A string field comes back as it
/// is (checked against `JSONSerialization`'s reading); any other value as its JSON text exactly
/// as the secret has it: nothing re-spelled, so a number too large for a `Double` keeps every
/// digit. (`JSONSerialization`, which did this before, wrote such values again: keys sorted, `/`
/// as `\/`, `1.10` as `1.1`.)
@Suite struct SecretFieldTests {
    typealias Output = SecretsManagerClient.GetSecretValueOutput

    static let secret = """
        \u{FEFF}{"password":"p\\/w \\u00e9\\n","port":5432, "ratio" : 1.10 ,"big":18446744073709551616123,"neg":-0.0,
         "exp":3.0e-5,"on":true,"none":null,"hosts":["a\\/b", "c"],"nested":{"z":1, "a":"x/y","m":[ ]},"empty":{},
         "text":"","dup":"first","dup":"second"}
        """

    func field(_ name: String, of secretString: String? = Self.secret) throws(AWSError) -> String {
        let output = Output(arn: "arn", name: "db", secretString: secretString)
        return try SecretsManagerClient.field(name, of: output, name: "db", requestId: "r", attempts: 1).fieldValue
    }

    @Test func stringFieldsComeBackUnescaped() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(Self.secret.utf8)) as? [String: Any])
        for name in ["password", "text"] {
            #expect(try field(name) == object[name] as? String, "field \(name)")
        }
        #expect(try field("password") == "p/w é\n")
    }

    /// Keys are told apart by their bytes, as JSON tells them apart: a key spelt another way
    /// (composed or decomposed, the Ångström sign or the letter) is another field, never read
    /// for this one, and never dropped as a repeat of it.
    @Test func aFieldIsFoundByItsExactSpelling() throws {
        let signs = #"{"\u212B":"angstrom sign","A\u030A":"decomposed","\u00C5":"composed"}"#
        #expect(try field("\u{212B}", of: signs) == "angstrom sign")
        #expect(try field("A\u{30A}", of: signs) == "decomposed")
        #expect(try field("\u{C5}", of: signs) == "composed")
        let accents = #"{"\u00e9":"composed","e\u0301":"decomposed"}"#
        #expect(try field("e\u{301}", of: accents) == "decomposed")
        #expect(try field("\u{E9}", of: accents) == "composed")
        #expect(throws: AWSError.self) { try field("\u{E9}", of: #"{"e\u0301":"decomposed"}"#) }
    }

    @Test func otherValuesComeBackAsWritten() throws {
        #expect(try field("port") == "5432")
        #expect(try field("ratio") == "1.10")
        #expect(try field("big") == "18446744073709551616123")
        #expect(try field("neg") == "-0.0")
        #expect(try field("exp") == "3.0e-5")
        #expect(try field("on") == "true")
        #expect(try field("none") == "null")
        #expect(try field("empty") == "{}")
        #expect(try field("hosts") == #"["a\/b", "c"]"#)
        #expect(try field("nested") == #"{"z":1, "a":"x/y","m":[ ]}"#)
    }

    /// A number past a `Double`'s range (as Python's `json` writes `2**1024`) is valid JSON: it
    /// comes back with every digit, and the other fields are read as ever.
    @Test func aNumberPastADoublesRangeKeepsItsDigitsAndTheOtherFields() throws {
        let huge = "1" + String(repeating: "0", count: 400)
        let secret = #"{"user":"u","p":"# + huge + #","e":-1e400}"#
        #expect(try field("user", of: secret) == "u")
        #expect(try field("p", of: secret) == huge)
        #expect(try field("e", of: secret) == "-1e400")
    }

    /// Of a key given twice the last counts, as for jq, Python's `json`, `JSON.parse` and Go (and
    /// the delegate's first release, which read secrets with `JSONSerialization`): a secret edited
    /// by appending a new value reads the same through the delegate as through any other tool.
    @Test func theLastOfARepeatedKeyCounts() throws {
        #expect(try field("dup") == "second")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(Self.secret.utf8)) as? [String: Any])
        #expect(try field("dup") == object["dup"] as? String)
        #expect(try field("p", of: #"{"p":"old","q":1,"p":{"new": [1]}}"#) == #"{"new": [1]}"#)
        #expect(try field("q", of: #"{"p":"old","q":1,"p":"new"}"#) == "1")
    }

    /// A secret that starts as an object but cannot be read as one (nested deeper than the
    /// reader goes, a lone surrogate escape) is refused saying so, not as "not a JSON object".
    @Test func anObjectThatCannotBeReadIsRefusedSayingWhy() {
        let deep =
            #"{"password":"pw","cfg":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        for secret in [deep, #"{"password":"pw","note":"\ud800"}"#, "\u{FEFF} {\"password\":"] {
            let error = #expect(throws: AWSError.self) { try field("password", of: secret) }
            #expect(error?.code == .secretFieldUnavailable)
            #expect(
                error?.message.contains("cannot be read as one JSON object (values nested over 512 deep") == true,
                "\(String(describing: error))")
        }
        let array = #expect(throws: AWSError.self) { try field("password", of: #"["password"]"#) }
        #expect(array?.message.contains("is not a JSON object") == true, "\(String(describing: array))")
    }

    /// A binary secret is refused saying so, whatever its bytes: one holding a JSON object (made
    /// with `--secret-binary fileb://creds.json`) is not "not a JSON object" to its owner.
    @Test func aBinarySecretIsRefusedAsBinary() {
        let output = Output(arn: "arn", name: "db", secretBinary: Data(#"{"password":"x"}"#.utf8))
        let error = #expect(throws: AWSError.self) {
            try SecretsManagerClient.field("password", of: output, name: "db", requestId: "r", attempts: 1)
        }
        #expect(error?.code == .secretFieldUnavailable)
        #expect(error?.message.contains("is a binary secret (SecretBinary)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("not a JSON object") == false)
        // With neither form: as before.
        let neither = #expect(throws: AWSError.self) { try field("password", of: nil) }
        #expect(neither?.message.contains("is not a JSON object") == true)
    }

    @Test func aMissingFieldOrANonObjectSecretIsRefused() {
        #expect(throws: AWSError.self) { try field("absent") }
        #expect(throws: AWSError.self) { try field("a", of: #"{"nested":{"a":1}}"#) }  // only the top level
        for secret in [#"["password"]"#, "not json", #""password""#, "", #"{"a":1} x"#, nil] as [String?] {
            #expect(throws: AWSError.self) { try field("password", of: secret) }
        }
    }

    /// The key is the task's, quoted as other task values are: cut at 64 characters, a line break
    /// or a bidirectional override shown as an escape, never written as it came.
    @Test func aMissingFieldIsQuotedSafely() {
        let key = "a\nb\u{202E}" + String(repeating: "x", count: 100_000)
        for secret in [Self.secret, "not json"] {
            let error = #expect(throws: AWSError.self) { try field(key, of: secret) }
            let message = error?.message ?? ""
            #expect(
                message.contains("a\\u{a}b\\u{202e}") || message.contains("a\\u{A}b\\u{202E}"), "\(message.prefix(200))"
            )
            #expect(!message.contains("\n") && !message.contains("\u{202E}"))
            #expect(message.utf8.count < 400, "\(message.utf8.count) bytes")
        }
    }
}
