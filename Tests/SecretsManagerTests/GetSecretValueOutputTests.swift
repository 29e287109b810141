import Foundation
import Testing

@testable import SecretsManager

/// `GetSecretValue` answers are read by the one-pass parser; each case here is compared with
/// what `JSONDecoder` makes of the same bytes through a `Decodable` twin of the output (the way
/// they were read before), not with a written-down answer.
@Suite struct GetSecretValueOutputTests {
    typealias Output = SecretsManagerClient.GetSecretValueOutput

    /// The output as `Decodable` read it: AWS's member names, epoch-second dates, base64 binary.
    struct DecodableTwin: Decodable {
        var arn: String
        var name: String
        var versionId: String?
        var versionStages: [String]?
        var secretString: String?
        var secretBinary: Data?
        var createdDate: Date?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case versionId = "VersionId"
            case versionStages = "VersionStages"
            case secretString = "SecretString"
            case secretBinary = "SecretBinary"
            case createdDate = "CreatedDate"
        }

        var output: Output {
            Output(
                arn: arn, name: name, versionId: versionId, versionStages: versionStages, secretString: secretString,
                secretBinary: secretBinary, createdDate: createdDate)
        }
    }

    static func decoded(_ text: String) -> Output? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return (try? decoder.decode(DecodableTwin.self, from: Data(text.utf8)))?.output
    }

    static let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"

    /// Answers to read as `JSONDecoder` reads them.
    static let answers: [String] = [
        // What AWS and moto answer.
        #"{"ARN":"\#(arn)","Name":"app/db","VersionId":"v-1","SecretString":"{\"password\":\"p\"}","VersionStages":["AWSCURRENT"],"CreatedDate":1700000000.123}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","VersionId":"v-2","SecretBinary":"AAEC/w==","VersionStages":["AWSPREVIOUS","x"],"CreatedDate":1700000000}"#,
        // Escapes, unknown members, nulls, nothing optional.
        #"{"ARN":"\#(arn)","Name":"app\/db","SecretString":"line\nnext \u00e9 \ud83d\ude00","Extra":{"a":[1,2]},"VersionId":null}"#,
        #"{"Name":"app/db","ARN":"\#(arn)"}"#,
        // A member given twice (the first counts), a byte order mark.
        #"{"ARN":"\#(arn)","Name":"app/db","SecretString":"first","SecretString":"second"}"#,
        "\u{FEFF}" + #"{"ARN":"\#(arn)","Name":"app/db","SecretString":"s"}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","SecretString":"lone \ud800 surrogate"}"#,
        #"  {"ARN":"\#(arn)","Name":"app/db","VersionStages":[],"CreatedDate":-1.5e3}  "#,
        // Unreadable: required members missing, wrong types, bad base64, not an object, not JSON.
        #"{"Name":"app/db"}"#,
        #"{}"#,
        #"{"ARN":"\#(arn)","Name":7}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","SecretString":12}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","VersionStages":["a",1]}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","VersionStages":"AWSCURRENT"}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","SecretBinary":"not base64!"}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","CreatedDate":"2023-11-14"}"#,
        #"[{"ARN":"\#(arn)","Name":"app/db"}]"#,
        #"{"ARN":"\#(arn)","Name":"app/db""#,
        "",
    ]

    @Test(arguments: answers)
    func readsWhatDecodableRead(_ text: String) {
        let expected = Self.decoded(text)
        #expect(Output(json: Data(text.utf8)) == expected, "\(text)")
    }

    /// The one deliberate difference: the whole answer must be JSON, where `JSONDecoder` never
    /// looked inside members it skipped.
    @Test(arguments: [
        #"{"ARN":"\#(arn)","Name":"app/db","Extra":1e400}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","Extra":"bad \x escape"}"#,
        #"{"ARN":"\#(arn)","Name":"app/db","Name":"x\q"}"#,
    ])
    func aMalformedMemberNobodyReadsMakesTheAnswerUnreadable(_ text: String) {
        #expect(Self.decoded(text) != nil, "JSONDecoder skipped it")
        #expect(Output(json: Data(text.utf8)) == nil)
    }

    @Test func casesCoverBothOutcomes() {
        // The table must hold readable and unreadable answers, or the comparison proves little.
        #expect(Self.answers.filter { Self.decoded($0) != nil }.count >= 5)
        #expect(Self.answers.filter { Self.decoded($0) == nil }.count >= 5)
    }

    @Test func invalidUTF8IsUnreadable() {
        var bytes = Array(#"{"ARN":"a","Name":"n","SecretString":"x"}"#.utf8)
        bytes[bytes.count - 3] = 0xFF
        #expect(Output(json: Data(bytes)) == nil)
    }

    @Test func theRequestNamesAWSMembersAndOmitsWhatIsNotGiven() throws {
        func members(_ body: Data) throws -> [String: String] {
            try #require(JSONSerialization.jsonObject(with: body) as? [String: String])
        }
        #expect(
            try members(Output.requestBody(secretId: "app/\"db\"", versionId: nil, versionStage: nil))
                == ["SecretId": "app/\"db\""])
        #expect(
            try members(Output.requestBody(secretId: "s", versionId: "v", versionStage: "AWSPENDING"))
                == ["SecretId": "s", "VersionId": "v", "VersionStage": "AWSPENDING"])
    }
}
