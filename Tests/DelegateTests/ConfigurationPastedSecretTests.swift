import Testing

@testable import Delegate

/// A secret pasted into the configuration as a key, a table name or a key given twice (a
/// credentials file's line, say) is named by its length in the error, wherever it is: the error
/// reaches check-config's output, the journal's "reload refused" line and systemctl status.
@Suite struct ConfigurationPastedSecretTests {
    static let pasted = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let connector = "[connectors.ci]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"

    @Test(arguments: [
        (connector + "\"\(pasted)\" = 1\n", "<a key of 62 characters>"),
        (
            "[connectors.ci]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\", \"\(pasted)\" = 1 }\n",
            "<a key of 62 characters>"
        ),
        (
            "[[credential]]\nunit = \"app.service\"\nid = \"db\"\nconnector = \"ci\"\nsecret = \"db\"\n\"\(pasted)\" = 1\n"
                + connector,
            "<a key of 62 characters>"
        ),
        ("[connectors.\"\(pasted)\"]\nregion = \"us-east-1\"\n", "<a connector id of 62 characters>"),
        // toml++'s own message quotes the key as it was written (its quotes, any dotted part and
        // what it read after it counted: the length is toml++'s).
        ("[delegate]\n\"\(pasted)\" = 1\n\"\(pasted)\" = 2\n", "cannot redefine existing integer '<a key of "),
        ("[\"\(pasted)\"]\n[\"\(pasted)\"]\n", "cannot redefine existing table '<a key of "),
        ("[delegate]\n'\(pasted)' = 1\n'\(pasted)' = 2\n", "cannot redefine existing integer '<a key of "),
        ("['\(pasted)']\n['\(pasted)']\n", "cannot redefine existing table '<a key of "),
        ("[delegate]\na.'\(pasted)' = 1\na.'\(pasted)' = 2\n", "'<a key of "),
        ("[delegate]\n\"it's \(pasted)\" = 1\n\"it's \(pasted)\" = 2\n", "'<a key of "),
    ])
    func aPastedSecretIsNamedByItsLength(toml: String, shown: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "h")
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(!text.contains("wJalrXUtnFEMI"), "\(text)")
        #expect(text.contains(shown), "\(text)")
    }

    /// A short key given twice is still named as written.
    @Test func aShortKeyGivenTwiceIsNamed() {
        let error = #expect(throws: ConfigurationError.self) {
            try DelegateConfiguration.load(tomlText: "[delegate]\nname = \"a\"\nname = \"b\"\n", environment: [:], hostName: "h")
        }
        #expect(error.map { "\($0)" }?.contains("'name'") == true, "\(String(describing: error))")
    }

    /// A key or table given twice is named as the file writes it: toml++ mangles a name written
    /// with quotes (`"name"` as `"naname" `, `connectors."prod"` as `connectors."prprod"`), which
    /// an operator searching the file would not find; counted by the written name's length.
    @Test(arguments: [
        ("[delegate]\nname = \"a\"\n\"name\" = \"b\"\n", "cannot redefine existing string '\"name\"'"),
        ("[delegate]\n'concurrency' = 1\n  'concurrency'   = 2\n", "cannot redefine existing integer ''concurrency''"),
        (connector + "[connectors.\"ci\"]\n", "cannot redefine existing table 'connectors.\"ci\"'"),
        ("[delegate]\nname = \"a\"\nname = \"b\"\n", "cannot redefine existing string 'name'"),
        // Lines as toml++ counts them: CRLF ones too.
        ("[delegate]\r\nname = \"a\"\r\n\"name\" = \"b\"\r\n", "cannot redefine existing string '\"name\"'"),
        // Reported on another line than the key's: the inline table's key, the header's name, as
        // toml++ gives them (not the line's first key, nor the next line's).
        (
            "[connectors.ci]\nregion = \"us-east-1\"\ncredentials = { type = \"assumeRole\", role_arn = \"a\", role_arn = \"b\" }\n",
            "cannot redefine existing string 'role_arn'"
        ),
        ("[delegate]\nname = \"x\"\n[delegate.name.b]\nx = 2\n", "cannot redefine existing string 'delegate.name.b' as table"),
        (
            "[connectors.ci]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\", \"type\" = \"x\" }\n",
            "cannot redefine existing string 'type'"
        ),
        ("[delegate]\n\"a\\\"b=c\" = 1\n\"a\\\"b=c\" = 2\n", "cannot redefine existing integer '\"a\\\"b=c\"'"),
        ("[\"a]b\"]\nx = 1\n[\"a]b\"]\n", "cannot redefine existing table '\"a]b\"'"),
        ("[delegate]\n\"\(String(repeating: "k", count: 40))\" = 1\n\"\(String(repeating: "k", count: 40))\" = 2\n",
         "'<a key of 42 characters>'"),
    ])
    func aKeyGivenTwiceIsNamedAsWritten(toml: String, shown: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "h")
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains(shown), "\(text)")
    }

    /// The names a line writes: a header's, a key and its inline tables' keys; none in a comment.
    @Test func theNamesALineWrites() {
        #expect(TOMLParseMessage.writtenNames(in: "[connectors.\"ci\"]") == ["connectors.\"ci\""])
        // A `]` inside a quoted name does not end the header.
        #expect(TOMLParseMessage.writtenNames(in: "[\"a]b\"]") == ["\"a]b\""])
        #expect(TOMLParseMessage.writtenNames(in: "[[ 'x]y'.z ]] # c") == ["'x]y'.z"])
        #expect(TOMLParseMessage.writtenNames(in: "c = { type = \"a,b\", 'x' = { y = 1 } }") == ["c", "type", "'x'", "y"])
        #expect(TOMLParseMessage.writtenNames(in: "name = \"x\" # {other = 1}") == ["name"])
        #expect(TOMLParseMessage.writtenNames(in: "# a = 1").isEmpty)
    }
}
