import Foundation
import HTTP
import Testing

@testable import AWSCore
import JSON

@Suite struct AWSErrorDecoderTests {
    @Test func readsTheCodeFromTheErrorTypeHeader() {
        let response = HTTPResponse(
            status: 400,
            headers: [
                "x-amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/coral/",
                "x-amzn-RequestId": "req-1",
            ],
            body: Data(#"{"message":"Secrets Manager can't find the specified secret."}"#.utf8)
        )
        let error = AWSErrorDecoder.decode(response, wireProtocol: .json)
        #expect(error.code == .resourceNotFoundException)
        #expect(error.message == "Secrets Manager can't find the specified secret.")
        #expect(error.requestId == "req-1")
        #expect(error.httpStatus == 400)
    }

    @Test func readsNamespacedTypeFromTheBody() {
        let response = HTTPResponse(
            status: 400,
            body: Data(#"{"__type":"com.amazonaws.secretsmanager#InvalidParameterException","Message":"bad"}"#.utf8)
        )
        let error = AWSErrorDecoder.decode(response, wireProtocol: .json)
        #expect(error.code == AWSError.Code(rawValue: "InvalidParameterException"))
        #expect(error.message == "bad")
    }

    @Test func readsXMLErrorsAndNamesAccessDeniedAsTheJSONServiceDoes() {
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: a &amp; b is not authorized</Message></Error></Errors><RequestId>r-9</RequestId></ErrorResponse>
            """
        let response = HTTPResponse(status: 403, body: Data(body.utf8))
        let json = AWSErrorDecoder.decode(response, wireProtocol: .json)
        #expect(json.code == .accessDeniedException)
        #expect(json.message == "User: a & b is not authorized")
        #expect(json.requestId == "r-9")
        let query = AWSErrorDecoder.decode(response, wireProtocol: .query)
        #expect(query.code == .accessDenied)
    }

    @Test func unreadableBodiesFallBackOnTheStatus() {
        #expect(
            AWSErrorDecoder.decode(HTTPResponse(status: 503, body: Data("oops".utf8)), wireProtocol: .json).code
                == .serviceUnavailable)
        #expect(AWSErrorDecoder.decode(HTTPResponse(status: 500), wireProtocol: .json).code == .internalFailure)
        #expect(AWSErrorDecoder.decode(HTTPResponse(status: 418), wireProtocol: .json).code == .unknownError)
    }
}

/// A hostile or broken endpoint's error is bounded where it is decoded, before it reaches a
/// result or the journal.
@Suite struct AWSErrorDecoderBoundsTests {
    static let longCode = String(repeating: "C", count: 5000)
    static let longMessage = String(repeating: "m", count: 5000)

    @Test func aLongCodeIsReplacedByTheStatusCodeAndALongMessageIsCut() {
        let responses = [
            HTTPResponse(
                status: 400, headers: ["x-amzn-ErrorType": Self.longCode],
                body: Data(#"{"message":"\#(Self.longMessage)"}"#.utf8)),
            HTTPResponse(
                status: 400, body: Data(#"{"__type":"ns#\#(Self.longCode)","Message":"\#(Self.longMessage)"}"#.utf8)),
            HTTPResponse(
                status: 400,
                body: Data(
                    ("<ErrorResponse><Error><Code>\(Self.longCode)</Code>"
                        + "<Message>\(Self.longMessage)</Message></Error></ErrorResponse>").utf8)),
        ]
        for response in responses {
            let error = AWSErrorDecoder.decode(response, wireProtocol: .json)
            #expect(error.code == .unknownError)
            #expect(error.message.count == 1024)
            #expect(error.message.hasSuffix("..."))
        }
        let server = AWSErrorDecoder.decode(
            HTTPResponse(status: 503, headers: ["x-amzn-ErrorType": Self.longCode]), wireProtocol: .json)
        #expect(server.code == .serviceUnavailable, "still classified as a throttle-or-retry by its status")
    }

    @Test func aCodeOutsideTheAllowedCharactersIsReplaced() throws {
        for code in ["Bad Code", "Evil\nInjected=1", "Näive", "a/b", "<script>"] {
            let body = try JSONSerialization.data(withJSONObject: ["__type": code, "message": "m"])
            let error = AWSErrorDecoder.decode(HTTPResponse(status: 500, body: body), wireProtocol: .json)
            #expect(error.code == .internalFailure, "\(code)")
        }
        let exact = String(repeating: "a", count: 128)
        #expect(AWSErrorDecoder.boundedCode(exact) == exact)
        #expect(AWSErrorDecoder.boundedCode(exact + "a") == nil)
        #expect(AWSErrorDecoder.boundedCode("Throttling.Rate:x-1_2") == "Throttling.Rate:x-1_2")
    }

    @Test func aMessageMadeOfCombiningMarksIsBoundedByScalars() throws {
        let zalgo = "a" + String(repeating: "\u{0301}", count: 5000)
        let body = try JSONSerialization.data(withJSONObject: ["__type": "X", "message": zalgo])
        let error = AWSErrorDecoder.decode(HTTPResponse(status: 400, body: body), wireProtocol: .json)
        #expect(error.message.unicodeScalars.count == 1024)
    }

    @Test func aHostileRequestIDIsDropped() {
        let long = HTTPResponse(status: 400, headers: ["x-amzn-RequestId": String(repeating: "r", count: 5000)])
        #expect(AWSErrorDecoder.decode(long, wireProtocol: .json).requestId == nil)
        #expect(AWSErrorDecoder.requestID(in: long) == nil)
        let spaced = HTTPResponse(status: 400, headers: ["x-amzn-RequestId": "a b"])
        #expect(AWSErrorDecoder.requestID(in: spaced) == nil)
        let fine = HTTPResponse(status: 400, headers: ["x-amzn-RequestId": "5f2c-11aa"])
        #expect(AWSErrorDecoder.requestID(in: fine) == "5f2c-11aa")
    }

    /// An endpoint that echoes what it was sent (the session token, a sensitive value) into the
    /// error's code or request id: those fields are dropped, as the message's copy is redacted.
    @Test func aCodeOrRequestIDHoldingASecretIsDropped() {
        let redactor = MessageRedactor(secrets: ["hunter2-Value", "TOKEN.abc-def"])
        let json = HTTPResponse(
            status: 400, headers: ["x-amzn-RequestId": "req-TOKEN.abc-def"],
            body: Data(#"{"__type":"hunter2-Value","message":"not hunter2-Value"}"#.utf8))
        let fromJSON = AWSErrorDecoder.decode(json, wireProtocol: .json, redactor: redactor)
        #expect(fromJSON.code == .unknownError)
        #expect(fromJSON.requestId == nil)
        #expect(fromJSON.message == "not <redacted>")
        #expect(!"\(fromJSON)".contains("hunter2") && !"\(fromJSON)".contains("TOKEN"))
        let xml = HTTPResponse(
            status: 403,
            body: Data(
                "<ErrorResponse><Error><Code>xTOKEN.abc-defx</Code><Message>m</Message></Error><RequestId>TOKEN.abc-def</RequestId></ErrorResponse>"
                    .utf8))
        let fromXML = AWSErrorDecoder.decode(xml, wireProtocol: .query, redactor: redactor)
        #expect(fromXML.code == .unknownError && fromXML.requestId == nil)
        // Fields without a secret are kept.
        let plain = HTTPResponse(
            status: 400, headers: ["x-amzn-RequestId": "req-1"], body: Data(#"{"__type":"ThrottlingException"}"#.utf8))
        let kept = AWSErrorDecoder.decode(plain, wireProtocol: .json, redactor: redactor)
        #expect(kept.code == AWSError.Code(rawValue: "ThrottlingException") && kept.requestId == "req-1")
        // A code the client acts on is AWS's text whatever the call sent: kept though a short
        // secret value is in it (else an expired session would not be refreshed, a throttle not
        // retried, a skew not corrected); another code holding it is still dropped.
        let worded = MessageRedactor(secrets: ["Token", "Throttl", "Signature"])
        for known in ["ExpiredTokenException", "ExpiredToken", "ThrottlingException", "SignatureDoesNotMatch"] {
            let answer = HTTPResponse(status: 400, body: Data(#"{"__type":"\#(known)","message":"m"}"#.utf8))
            #expect(AWSErrorDecoder.decode(answer, wireProtocol: .json, redactor: worded).code.rawValue == known)
        }
        let unknown = HTTPResponse(status: 400, body: Data(#"{"__type":"MyTokenError","message":"m"}"#.utf8))
        #expect(AWSErrorDecoder.decode(unknown, wireProtocol: .json, redactor: worded).code == .unknownError)
        // Found by where it is, not by whether redacting changes the text: a secret spelled like
        // the marker that replaces it is found too.
        #expect(MessageRedactor(secrets: ["<redacted>"]).finds(in: "x <redacted> y"))
        #expect(!MessageRedactor(secrets: ["<redacted>"]).finds(in: "x redacted y"))
    }
}

@Suite struct MessageRedactorTests {
    @Test func cutsCanonicalRequestQuotesAndReplacesSecrets() {
        let redactor = MessageRedactor(secrets: ["SECRETKEY123", "TOKEN-abc-def", nil])
        let message =
            "Signature mismatch for SECRETKEY123. The Canonical String for this request should have been 'x-amz-security-token:TOKEN-abc-def'"
        let redacted = redactor.redact(message)
        #expect(redacted == "Signature mismatch for <redacted>.")
        #expect(redactor.redact(String(repeating: "a", count: 5000)).count < 1100)
    }

    /// The secrets are found by their bytes: a combining mark after one (which makes its last
    /// letter and the mark one `Character`) or a letter before it does not hide it.
    @Test func findsSecretsInsideGraphemeClusters() {
        let redactor = MessageRedactor(secrets: ["SECRETKEY123", "clé-secrète"])
        #expect(redactor.redact("key SECRETKEY123\u{301} here") == "key <redacted>\u{301} here")
        #expect(redactor.redact("xSECRETKEY123y") == "x<redacted>y")
        #expect(redactor.redact("a clé-secrète\u{20DD} b") == "a <redacted>\u{20DD} b")
        #expect(redactor.redact("The Canonical String for this request\u{301} SECRETKEY123").isEmpty)
        // Another spelling of the same text (decomposed é) is other bytes, which AWS does not send back.
        #expect(redactor.redact("cle\u{301}-secre\u{300}te") == "cle\u{301}-secre\u{300}te")
    }

    /// A JSON error body (or a proxy echoing a request) quotes a secret as JSON spells it: a
    /// session token's `/` as `\/`, a quote escaped, and with Python's `json.dumps` every
    /// non-ASCII scalar as `\uxxxx` (a character outside the BMP as a surrogate pair).
    @Test func findsSecretsAsJSONSpellsThem() {
        let redactor = MessageRedactor(secrets: ["tok/en+ABC/def", "pä\"ss😀word"])
        #expect(
            redactor.redact(#"{"message":"token tok\/en+ABC\/def refused"}"#)
                == #"{"message":"token <redacted> refused"}"#)
        #expect(redactor.redact(#"value "pä\"ss😀word" is bad"#) == #"value "<redacted>" is bad"#)
        #expect(redactor.redact(#"value "p\u00e4\"ss\ud83d\ude00word" is bad"#) == #"value "<redacted>" is bad"#)
        #expect(redactor.redact("raw pä\"ss😀word") == "raw <redacted>")
        #expect(redactor.redact(#"value "p\u00E4\"ss\uD83D\uDE00word" is bad"#) == #"value "<redacted>" is bad"#)
        #expect(MessageRedactor.spellings(of: "a/b\nc").count == 7)
    }

    /// A JSON secret (Secrets Manager's usual kind) in a task or a result carried as an SQS
    /// message's body is spelled twice in the request, a JSON text in a JSON string: an endpoint
    /// or a proxy that quotes the request quotes it so.
    @Test func findsSecretsSpelledTwiceAsAMessageBodyCarriesThem() throws {
        let secret = #"{"username":"app","password":"pa/ss\w"# + "\u{E9}rd\"}"
        let task = JSONValue.object(["params": .object(["secretString": .string(secret)])]).jsonText
        let request = JSONValue.object(["MessageBody": .string(task)]).jsonText
        #expect(!request.contains(secret))
        let redacted = MessageRedactor(secrets: [secret]).redact("refused: \(request)")
        #expect(!redacted.contains("pa/ss") && !redacted.contains("username"), "\(redacted)")
        #expect(redacted.contains("<redacted>"), "\(redacted)")
        // As Foundation's encoder writes the outer text: `/` as `\/`.
        let foundation = String(
            decoding: try JSONSerialization.data(withJSONObject: ["MessageBody": task]), as: UTF8.self)
        #expect(!MessageRedactor(secrets: [secret]).redact(foundation).contains("username"), "\(foundation)")
    }

    /// A result this delegate writes (sent to SQS, quoted back) spells a value its own way: DEL,
    /// C1 controls and U+2028 escaped, other non-ASCII as it is.
    @Test(arguments: ["Grüße\u{7F}Welt", "pässwörd\u{2028}x", "é\u{85}abc"])
    func findsSecretsAsThisDelegateWritesThem(secret: String) {
        let written = JSONValue.string(secret).jsonText
        let redacted = MessageRedactor(secrets: [secret]).redact("body: \(written)")
        #expect(redacted == #"body: "<redacted>""#, "\(redacted)")
    }

    /// A request id of a successful answer is checked only against the secrets that fit in it.
    @Test func aShortFieldIsCheckedAgainstTheSecretsThatFit() {
        let signature = String(repeating: "ab12", count: 16)
        #expect(MessageRedactor.any(of: ["hunter2-canary", nil], isIn: "id-hunter2-canary"))
        #expect(MessageRedactor.any(of: [signature], isIn: signature))
        #expect(MessageRedactor.any(of: ["p\u{E4}ss/word"], isIn: #"p\u00e4ss\/word"#))
        // No byte of it is spelled as it is: spelled out whatever the field holds.
        #expect(MessageRedactor.any(of: ["\u{E4}\u{F6}\u{FC}/\u{20AC}"], isIn: #"rid-\u00e4\u00f6\u00fc\/\u20ac"#))
        #expect(!MessageRedactor.any(of: ["hunter2-canary"], isIn: "id-hunter3-canary"))
        // Found trimmed: its newline does not make it too long to fit.
        #expect(MessageRedactor.any(of: ["hunter2-canary\n"], isIn: "hunter2-canary"))
        #expect(
            !MessageRedactor.any(of: [signature, "hunter2-canary", nil], isIn: "1f2e3d4c-aaaa-bbbb-cccc-0123456789ab"))
        #expect(!MessageRedactor.any(of: [], isIn: "req-1"))
    }

    /// A value read from a file ends in a newline: at the end of a message it is found before
    /// the message's trailing white space goes, and quoted without its newline it is found too.
    @Test func aSecretEndingInWhiteSpaceLeavesNoPartBehind() {
        let redactor = MessageRedactor(secrets: ["hunter2-from-file\n", " padded-secret "])
        #expect(redactor.redact("value was hunter2-from-file\n") == "value was <redacted>")
        #expect(redactor.redact("value 'hunter2-from-file' refused") == "value '<redacted>' refused")
        #expect(redactor.redact(#"{"v":"hunter2-from-file\n"}"#) == #"{"v":"<redacted>"}"#)
        #expect(redactor.redact("got padded-secret.") == "got <redacted>.")
        // `echo hunter2 > file` gives 8 bytes, 7 without the newline: found either way.
        #expect(MessageRedactor(secrets: ["hunter2\n"]).redact("bad value hunter2.") == "bad value <redacted>.")
        // Under 4 bytes without it, as any value under 4 bytes, it is not looked for.
        #expect(MessageRedactor(secrets: [" ab\n"]).redact("ab cd") == "ab cd")
    }

    /// One secret inside another (a write value that holds the access key) is replaced after
    /// the outer one, so no part of the outer one is left.
    @Test func anOuterSecretIsReplacedWhole() {
        let redactor = MessageRedactor(secrets: ["AKIDINNER", "value-AKIDINNER-tail"])
        #expect(redactor.redact("echo value-AKIDINNER-tail end") == "echo <redacted> end")
    }

    /// Two secrets that overlap, neither inside the other, leave no part of either; nor do two
    /// that differ only in Unicode normalization (other bytes, so both are looked for).
    @Test func overlappingAndDifferentlyNormalizedSecretsAreReplacedWhole() {
        #expect(MessageRedactor(secrets: ["abcd", "cdef"]).redact("x abcdef x") == "x <redacted> x")
        #expect(MessageRedactor(secrets: ["cdef", "abcd"]).redact("x abcdef x abcd") == "x <redacted> x <redacted>")
        let redactor = MessageRedactor(secrets: ["clé-1", "cle\u{301}-1"])
        #expect(redactor.redact("a clé-1 b cle\u{301}-1 c") == "a <redacted> b <redacted> c")
        // A control character in uppercase hex beside a non-ASCII scalar kept as itself (Jackson).
        #expect(MessageRedactor(secrets: ["é\u{1B}key"]).redact(#"v "é\u001Bkey""#) == #"v "<redacted>""#)
    }

    /// Go's `encoding/json` escapes `&`, `<`, `>` and the line separators (common in passwords):
    /// a proxy or emulator in Go that echoes a write's body shows the value so; and Jackson's
    /// ASCII mode escapes past DEL, leaving DEL as it is. Both are found, once and spelled twice
    /// (a JSON text carried in a string), and the cheap check of a successful call's fields looks.
    @Test func goAndJacksonSpellingsAreFound() {
        let go = MessageRedactor(secrets: ["p&ss<w0rd>\u{2028}x"])
        #expect(
            go.redact(#"echo: {"SecretString":"p\u0026ss\u003cw0rd\u003e\u2028x"}"#)
                == #"echo: {"SecretString":"<redacted>"}"#)
        #expect(
            go.redact(#"{"MessageBody":"{\"v\":\"p\\u0026ss\\u003cw0rd\\u003e\\u2028x\"}"}"#).contains("<redacted>"))
        #expect(MessageRedactor.any(of: ["p&ss<w0rd>"], isIn: #"p\u0026ss\u003cw0rd\u003e"#))
        let jackson = MessageRedactor(secrets: ["ab\u{7F}cé-x"])
        #expect(jackson.redact("v ab\u{7F}c\\u00E9-x") == "v <redacted>")
    }
}

@Suite struct XMLScannerTests {
    @Test func findsNestedValuesAndDecodesEntities() throws {
        let xml = """
            <AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>\
            <SecretAccessKey>s&lt;k&#x3E;</SecretAccessKey><Expiration>2026-11-21T13:00:00Z</Expiration></Credentials>\
            </AssumeRoleResult></AssumeRoleResponse>
            """
        let scanner = try #require(XMLScanner(Data(xml.utf8)))
        let credentials = try #require(scanner.element("Credentials"))
        #expect(credentials.value(of: "AccessKeyId") == "ASIA1")
        #expect(credentials.value(of: "SecretAccessKey") == "s<k>")
        // A tag followed by a combining mark (one `Character` with its `>`) is still found.
        let marked = try #require(XMLScanner(Data("<Error><Code>\u{301}Throttling</Code></Error>".utf8)))
        #expect(marked.element("Error")?.value(of: "Code") == "\u{301}Throttling")
        #expect(scanner.value(of: "Missing") == nil)
    }

    @Test func refusesOversizedDocuments() {
        #expect(XMLScanner(Data(count: XMLScanner.maxDocumentBytes + 1)) == nil)
    }

    /// A nested lookup decodes entities once: escaped markup in a message stays text, and is
    /// never taken for the element it spells (decoded twice, `&amp;lt;` was `<`, and the escaped
    /// `Code` below was the error's code).
    @Test func entitiesInANestedLookupAreDecodedOnce() throws {
        let xml = """
            <ErrorResponse><Error><Message>see &lt;Code&gt;Throttling&lt;/Code&gt; and &amp;lt;</Message>\
            <Code>AccessDenied</Code></Error></ErrorResponse>
            """
        let document = try #require(XMLScanner(Data(xml.utf8)))
        let error = try #require(document.element("Error"))
        #expect(error.value(of: "Code") == "AccessDenied")
        #expect(error.value(of: "Message") == "see <Code>Throttling</Code> and &lt;")
        let credentials = try #require(
            XMLScanner(Data("<Credentials><AccessKeyId>a&amp;lt;b</AccessKeyId></Credentials>".utf8))?.element(
                "Credentials"))
        #expect(credentials.value(of: "AccessKeyId") == "a&lt;b")
    }

    /// An entity is looked for ten characters ahead at most: text of many `&` and no `;` (a
    /// megabyte of it from a misbehaving endpoint) is read in one pass, every `&` kept; an
    /// entity with more between `&` and `;` is no entity.
    @Test func ampersandsWithoutSemicolonsAreKeptInOnePass() throws {
        let many = String(repeating: "&", count: 200_000)
        let scanner = try #require(XMLScanner(Data("<Message>\(many)</Message>".utf8)))
        #expect(scanner.value(of: "Message") == many)
        #expect(XMLScanner.decodeEntities("&#x0000041;|&#x00000041;") == "A|&#x00000041;")
    }
}

@Suite struct ClockSkewCorrectorTests {
    @Test func learnsALargeSkewOnceAndIgnoresSmallOnes() throws {
        let corrector = ClockSkewCorrector()
        let local = try #require(HTTPDate.parse("Sat, 21 Nov 2026 12:00:00 GMT"))
        #expect(
            !corrector.adjust(
                code: AWSError.Code(rawValue: "RequestTimeTooSkewed"), serverDate: "Sat, 21 Nov 2026 12:01:00 GMT",
                localNow: local, signedWithOffset: corrector.currentOffset))
        #expect(
            !corrector.adjust(
                code: AWSError.Code(rawValue: "ResourceNotFoundException"), serverDate: "Sat, 21 Nov 2026 13:00:00 GMT",
                localNow: local, signedWithOffset: corrector.currentOffset))
        #expect(
            corrector.adjust(
                code: AWSError.Code(rawValue: "RequestTimeTooSkewed"), serverDate: "Sat, 21 Nov 2026 13:00:00 GMT",
                localNow: local, signedWithOffset: corrector.currentOffset))
        #expect(corrector.currentOffset == 3600)
        #expect(
            !corrector.adjust(
                code: AWSError.Code(rawValue: "InvalidSignatureException"), serverDate: "Sat, 21 Nov 2026 13:00:00 GMT",
                localNow: local, signedWithOffset: corrector.currentOffset))
    }

    /// Requests signed before the skew was learned, refused together: each is signed again, the
    /// first one's correction kept; a request signed with the corrected offset is not.
    @Test func everyRequestSignedWithAnOldOffsetIsWorthSigningAgain() throws {
        let corrector = ClockSkewCorrector()
        let local = try #require(HTTPDate.parse("Sat, 21 Nov 2026 12:00:00 GMT"))
        let skewed = AWSError.Code(rawValue: "RequestTimeTooSkewed")
        #expect(
            corrector.adjust(
                code: skewed, serverDate: "Sat, 21 Nov 2026 12:10:00 GMT", localNow: local, signedWithOffset: 0))
        #expect(corrector.currentOffset == 600)
        // A second answer a second later: its request too was signed with 0.
        #expect(
            corrector.adjust(
                code: skewed, serverDate: "Sat, 21 Nov 2026 12:10:01 GMT", localNow: local, signedWithOffset: 0))
        #expect(corrector.currentOffset == 600)
        #expect(
            !corrector.adjust(
                code: skewed, serverDate: "Sat, 21 Nov 2026 12:10:01 GMT", localNow: local, signedWithOffset: 600))
    }

    @Test func parsesIMFFixdates() throws {
        let date = try #require(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"))
        #expect(date.timeIntervalSince1970 == 784_111_777)
        #expect(HTTPDate.parse("yesterday") == nil)
        #expect(HTTPDate.parse("Sat, 31 Jun 2024 08:00:00 GMT") == nil)
        #expect(HTTPDate.parse("Sun, 29 Feb 2023 08:00:00 GMT") == nil)
        #expect(HTTPDate.parse("Thu, 29 Feb 2024 08:00:00 GMT")?.timeIntervalSince1970 == 1_709_193_600)
        // Fixed-width digits only: no sign, no empty or short field, no doubled space.
        for malformed in [
            "Sun, +6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08::49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "Sun, 06 Nov 1994 08:49:+7 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37:00 GMT",
        ] {
            #expect(HTTPDate.parse(malformed) == nil, "\(malformed)")
        }
    }
}
