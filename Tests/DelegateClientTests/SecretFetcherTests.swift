@testable import DelegateClient
import JSON
import Testing

/// How `get` reads the delegate's answer lines; the exchange itself is in `SecretGetterTests`
/// (DelegateTests) and the binaries' in `SecretGetterBinaryTests`.
@Suite struct SecretFetcherTests {
    private func result(_ line: String, id: String = "get-1") throws(SecretFetcher.Failure) -> JSONObject? {
        try SecretFetcher.result(Array(line.utf8), id: id)
    }

    @Test func takesItsOwnSucceededResultAndSkipsOthers() throws {
        let own = try #require(try result(#"{"id":"get-1","status":"succeeded","delegate":"d","result":{"secretString":"v"}}"#))
        #expect(try SecretFetcher.value(of: own) == Array("v".utf8))
        #expect(try result(#"{"id":"get-2","status":"succeeded","delegate":"d","result":{"secretString":"v"}}"#) == nil)
    }

    @Test func aFailedTaskIsItsCodeAndMessageWithStatus1() {
        #expect(throws: SecretFetcher.Failure(code: "ResourceNotFoundException", message: "no such secret", status: 1)) {
            try result(
                #"{"id":"get-1","status":"failed","delegate":"d","error":{"code":"ResourceNotFoundException","message":"no such secret"}}"#)
        }
        #expect(throws: SecretFetcher.Failure(code: "rejected", message: "the task rejected", status: 1)) {
            try result(#"{"status":"rejected","delegate":"d"}"#)
        }
    }

    /// The line comes from whatever answered on the socket: it stays one line, and writes no
    /// control characters (a terminal's escape sequences) to stderr.
    @Test func aFailureIsOneLineWithoutControlCharacters() {
        let failure = SecretFetcher.Failure(
            code: "Bad\u{1B}[31m", message: "two\nlines\u{7F}", status: 1, subject: "A")
        #expect(failure.description == #"A: Bad\u{1b}[31m: two\u{a}lines\u{7f}"#)
        #expect(SecretFetcher.Failure(message: "naïve ok", status: 1).description == "naïve ok")
        // C1 controls (CSI) and bidirectional overrides too.
        #expect(
            SecretFetcher.Failure(message: "a\u{9B}31mb\u{202E}c\u{2066}", status: 1).description
                == #"a\u{9b}31mb\u{202e}c\u{2066}"#)
    }

    @Test func aRefusalOfTheSocketIsStatus69() {
        #expect(throws: SecretFetcher.Failure(code: "TooManyConnections", message: "try later", status: 69)) {
            try result(#"{"error":"TooManyConnections","message":"try later"}"#)
        }
    }

    @Test(arguments: [
        "", "[]", "not json", #"{"status":"done","delegate":"d"}"#, #"{"status":"succeeded"}"#,
        #"{"status":"succeeded","delegate":"d","id":7}"#, "{\"status\":\"succeeded\",\"x\":\"\u{FFFD}\"", "\u{1}"])
    func anythingElseIsNotAResult(line: String) {
        #expect(throws: SecretFetcher.Failure(message: "the delegate answered with something that is not a result", status: 69)) {
            try result(line)
        }
    }

    @Test func invalidUTF8IsNotAResult() {
        #expect(throws: SecretFetcher.Failure(message: "the delegate answered with something that is not a result", status: 69)) {
            try SecretFetcher.result(Array(#"{"status":"succeeded","delegate":"d","result":{"secretString":""#.utf8) + [0xFF, 0x22, 0x7D, 0x7D], id: "x")
        }
    }

    @Test func theValueRule() throws {
        func value(_ json: String) throws -> [UInt8] {
            try SecretFetcher.value(of: try #require(try result(json, id: "x")))
        }
        #expect(try value(#"{"status":"succeeded","delegate":"d","result":{"value":"k","secretString":"s"}}"#) == Array("k".utf8))
        #expect(try value(#"{"status":"succeeded","delegate":"d","result":{"secretBinary":"AP9BCgA="}}"#) == [0, 0xFF, 0x41, 0x0A, 0])
        #expect(throws: SecretFetcher.Failure(message: "the result's secretBinary is not base64", status: 1)) {
            try value(#"{"status":"succeeded","delegate":"d","result":{"secretBinary":"%%"}}"#)
        }
        #expect(throws: SecretFetcher.Failure(message: "the result is sealed", status: 1)) {
            try value(#"{"status":"succeeded","delegate":"d","sealed":{"enc":"x"}}"#)
        }
        #expect(throws: SecretFetcher.Failure(message: "the result holds no value", status: 1)) {
            try value(#"{"status":"succeeded","delegate":"d","sealed":null,"result":null}"#)
        }
        #expect(throws: SecretFetcher.Failure(message: "the result holds no secretString, secretBinary or value", status: 1)) {
            try value(#"{"status":"succeeded","delegate":"d","result":{"name":"n"}}"#)
        }
        // A `value` that is not a string is refused, never answered with the whole secretString.
        #expect(throws: SecretFetcher.Failure(message: "the result's value is not a string", status: 1)) {
            try value(#"{"status":"succeeded","delegate":"d","result":{"value":{"k":1},"secretString":"{\"k\":1,\"pw\":\"x\"}"}}"#)
        }
    }
}
