import Testing

@testable import SecretsManager

@Suite struct SecretReferenceTests {
    @Test(arguments: [
        ("devops", "db", "devops/db"),
        ("/devops/", "db", "devops/db"),
        ("//a/b//", "c", "a/b/c"),
        ("", "db", "db"),
        ("/", "db", "db"),
        (
            "devops", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        ),
    ])
    func fullNames(prefix: String, name: String, expected: String) {
        #expect(SecretReference.fullName(prefix: prefix, name: name) == expected)
    }

    @Test(arguments: [
        ("devops", "devops"), ("/devops", "devops"), ("devops/", "devops"), ("//a/b//", "a/b"), ("a/b", "a/b"),
        ("", ""), ("/", ""), ("///", ""), ("é/", "é"), ("/é", "é"),
        // A combining mark after the slash makes one character that is not `/`: nothing is trimmed.
        ("a/\u{301}", "a/\u{301}"),
    ])
    func normalizedPrefixes(prefix: String, expected: String) {
        #expect(SecretReference.normalizedPrefix(prefix) == expected)
    }

    @Test(arguments: [
        ("devops/db", "devops", "db"),
        ("devops/db", "/devops/", "db"),
        ("devops/a/b", "devops", "a/b"),
        ("other/db", "devops", "other/db"),
        ("devopsdb", "devops", "devopsdb"),
        ("devops/", "devops", "devops/"),
        ("db", "", "db"),
        ("devops/x", "devops/", "x"),
        ("devops/", "devops/", "devops/"),
        ("devops//x", "devops", "/x"),
        ("devopsx/y", "devops", "devopsx/y"),
        ("dev", "devops", "dev"),
        // Not ASCII: compared by character, as before.
        ("é/db", "é", "db"),
        ("e\u{301}/db", "é", "db"),
    ])
    func relativeNames(fullName: String, prefix: String, expected: String) {
        #expect(SecretReference.relativeName(fullName: fullName, prefix: prefix) == expected)
    }

    @Test func everyAllowedPunctuationCharacterIsValid() throws {
        let reference = try SecretReference(parsing: "a/b_c+d=e.f@g-h", prefix: "p", allowJSONKey: false)
        #expect(reference.fullName == "p/a/b_c+d=e.f@g-h")
        #expect(throws: SecretNameError.self) { try SecretReference.validate(fullName: "a:b") }
        #expect(throws: SecretNameError.self) { try SecretReference.validate(fullName: "") }
        #expect(throws: SecretNameError.self) { try SecretReference.validate(fullName: "é") }
        try SecretReference.validate(fullName: String(repeating: "x", count: 512))
        #expect(throws: SecretNameError.self) {
            try SecretReference.validate(fullName: String(repeating: "x", count: 513))
        }
    }

    /// `!` only in the name of a secret another AWS service manages, and only where it is allowed
    /// (the operations that read): by name, with a field, and in an ARN.
    @Test func aManagedSecretsNameIsValidOnlyWhereAllowed() throws {
        let field = try SecretReference(parsing: "rds!db-0f16#password", prefix: "", allowJSONKey: true, allowManaged: true)
        #expect(field.fullName == "rds!db-0f16")
        #expect(field.jsonKey == "password")
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-1a2b-XPOgCM"
        #expect(try SecretReference(parsing: arn, prefix: "", allowJSONKey: false, allowManaged: true).fullName == arn)
        for name in ["rds!db-0f16", arn] {
            let refused = #expect(throws: SecretNameError.self) {
                try SecretReference(parsing: name, prefix: "", allowJSONKey: false)
            }
            #expect(refused?.message.contains("contains '!', which only the names of secrets another AWS service manages have") == true)
        }
        // Nothing else is let in with it.
        #expect(throws: SecretNameError.self) { try SecretReference.validate(fullName: "rds!db?1", allowManaged: true) }
    }

    @Test func jsonKeySplitsAtTheFirstHash() throws {
        let reference = try SecretReference(parsing: "db#a#b", prefix: "", allowJSONKey: true)
        #expect(reference.name == "db")
        #expect(reference.jsonKey == "a#b")
        #expect(throws: SecretNameError.self) {
            _ = try SecretReference(parsing: "#key", prefix: "p", allowJSONKey: true)
        }
        // A key starting with a combining mark (or a joiner): `#` and it are one Character, the
        // split is by scalar.
        for key in ["\u{301}x", "\u{200D}y", "\u{FE0F}"] {
            let marked = try SecretReference(parsing: "db#" + key, prefix: "", allowJSONKey: true)
            #expect(marked.name == "db")
            #expect(marked.jsonKey.map { Array($0.unicodeScalars) } == Array(key.unicodeScalars))
        }
    }

    /// An ARN's partition, region and account are checked by byte: a digit or a letter with a
    /// combining mark is not one (it would be refused only by AWS, after a call).
    @Test(arguments: [
        "arn:aws:secretsmanager:us-east-1:12345678901\u{301}2:secret:db",
        "arn:awsx\u{20DD}:secretsmanager:us-east-1:123456789012:secret:db",
        "arn:aws:secretsmanager:us-east-1\u{301}:123456789012:secret:db",
    ])
    func anARNWithCombiningMarksIsMalformed(arn: String) {
        #expect(throws: SecretNameError.self) { try SecretReference.resolve(prefix: "", name: arn) }
    }

    /// Names are shown unambiguously in messages: control characters escaped, a quote or a
    /// backslash escaped and named by its code point, a bidirectional override unable to reorder
    /// the line.
    @Test(arguments: [
        ("a\nb", #"'a\u{a}b' contains the character U+000A"#),
        ("it's\u{202E}x", #"'it\'s\u{202e}x' contains the character U+0027"#),
    ])
    func namesAreShownUnambiguouslyInMessages(name: String, shown: String) {
        #expect {
            try SecretReference.validate(fullName: name)
        } throws: { error in
            (error as? SecretNameError)?.message
                == "secret name \(shown); allowed are letters, digits and /_+=.@-"
        }
    }
}
