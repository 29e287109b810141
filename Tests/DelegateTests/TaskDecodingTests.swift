import AWSCredentials
import Foundation
import JSON
import SecretsManager
import Testing

@testable import Delegate

@Suite struct TaskDecodingTests {
    @Test func theSpecExampleDecodes() throws {
        let task = try DelegateTask.decode(TaskFixtures.task(), defaultID: nil)
        #expect(task.id == "build-4711-db-password")
        #expect(task.deadlineSeconds == 60)
        #expect(task.connector.id == "awsSmProd")
        #expect(task.connector.region == "us-east-1")
        #expect(task.connector.secretNamePrefix == "devops")
        #expect(task.connector.delegateSelectors == ["prod"])
        #expect(
            task.connector.credentials
                == .assumeRole(
                    AssumeRoleCredentials(
                        roleARN: "arn:aws:iam::123456789012:role/sm", externalID: "ext-7f3a", durationSeconds: 3600)))
        guard let params = task.operation.params(as: GetSecretValueParams.self) else {
            Issue.record("wrong operation \(task.operation.name)")
            return
        }
        #expect(params.secret.name == "db")
        #expect(params.secret.fullName == "devops/db")
        #expect(params.secret.jsonKey == "password")
        #expect(params.versionId == nil && params.versionStage == nil)
    }

    @Test func defaultsApply() throws {
        let data = TaskFixtures.task { fields in
            fields["deadlineSeconds"] = nil
            fields["connector"] = [
                "id": "c1", "region": "eu-central-1",
                "credentials": ["type": "assumeRole", "roleArn": "arn:aws-cn:iam::123456789012:role/path/to/r"],
            ]
        }
        let task = try DelegateTask.decode(data, defaultID: nil)
        #expect(task.deadlineSeconds == 60)
        #expect(task.connector.secretNamePrefix == "")
        #expect(task.connector.delegateSelectors == [])
        #expect(
            task.connector.credentials
                == .assumeRole(
                    AssumeRoleCredentials(
                        roleARN: "arn:aws-cn:iam::123456789012:role/path/to/r", externalID: nil, durationSeconds: 3600))
        )
        #expect(task.operation.secret?.fullName == "db")
    }

    static let credentialCases: [(JSONValue, CredentialSpec)] = [
        (
            ["type": "accessKey", "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKeyRef": "sm-secret"],
            CredentialSpec.accessKey(
                AccessKeyCredentials(
                    accessKeyID: .plain("AKIAIOSFODNN7EXAMPLE"), secretAccessKeyRef: "sm-secret", sessionTokenRef: nil))
        ),
        (
            [
                "type": "accessKey", "accessKeyIdRef": "sm.id", "secretAccessKeyRef": "sm_secret",
                "sessionTokenRef": "sm-token",
            ],
            .accessKey(
                AccessKeyCredentials(
                    accessKeyID: .ref("sm.id"), secretAccessKeyRef: "sm_secret", sessionTokenRef: "sm-token"))
        ),
        // The contract's [A-Za-z0-9_.-]{1,128}: dots in a row too (one path component all the same).
        (
            ["type": "accessKey", "accessKeyIdRef": "prod..id", "secretAccessKeyRef": "prod..secret"],
            .accessKey(
                AccessKeyCredentials(
                    accessKeyID: .ref("prod..id"), secretAccessKeyRef: "prod..secret", sessionTokenRef: nil))
        ),
        (["type": "instanceRole"], .instanceRole),
        (
            ["type": "assumeRole", "roleArn": "arn:aws-us-gov:iam::123456789012:role/r", "durationSeconds": 43200],
            .assumeRole(
                AssumeRoleCredentials(
                    roleARN: "arn:aws-us-gov:iam::123456789012:role/r", externalID: nil, durationSeconds: 43200))
        ),
    ]

    @Test(arguments: credentialCases)
    func credentialsDecode(json: JSONValue, expected: CredentialSpec) throws {
        let task = try DelegateTask.decode(TaskFixtures.task(credentials: json), defaultID: nil)
        #expect(task.connector.credentials == expected)
    }

    /// A connector's selectors are bounded as tags are (64, of at most 256 bytes each): a task
    /// is held while it waits for a slot, and 350,000 empty selectors in a 1 MiB line would hold
    /// some twenty times what the socket's budget counts for it.
    @Test func aConnectorsSelectorsAreBounded() throws {
        func task(_ selectors: [String]) -> Data {
            TaskFixtures.task { fields in
                var connector = TaskFixtures.connector
                connector["delegateSelectors"] = .array(selectors.map(JSONValue.string))
                fields["connector"] = .object(connector)
            }
        }
        #expect(
            try DelegateTask.decode(task(Array(repeating: "prod", count: 64)), defaultID: nil).connector
                .delegateSelectors.count == 64)
        let many = #expect(throws: TaskRejection.self) {
            try DelegateTask.decode(task(Array(repeating: "", count: 65)), defaultID: nil)
        }
        #expect(
            many?.message.contains("connector.delegateSelectors has 65 selectors; the limit is 64") == true,
            "\(many?.message ?? "")")
        let long = #expect(throws: TaskRejection.self) {
            try DelegateTask.decode(task(["prod", String(repeating: "a", count: 257)]), defaultID: nil)
        }
        #expect(
            long?.message.contains("connector.delegateSelectors[1] is longer than 256 bytes") == true,
            "\(long?.message ?? "")")
        // No longer than a tag can be (128 bytes once trimmed), nor with what no tag holds: such a
        // selector could never match, and every delegate would leave its task unanswered.
        let padded = "  " + String(repeating: "a", count: 128) + " "
        #expect(try DelegateTask.decode(task([padded]), defaultID: nil).connector.delegateSelectors == [padded])
        let neverMatching = [
            (String(repeating: "a", count: 129), "is longer than 128 bytes once trimmed"),
            ("aws,prod", "contains a comma, which no delegate tag does: give one selector per tag"),
            ("prod\u{202E}", "contains a bidirectional formatting character (\\u{202e}), which no delegate tag does"),
            ("pr\u{7}od", "contains a control character (\\u{7}), which no delegate tag does"),
        ]
        for (selector, expected) in neverMatching {
            let refused = #expect(throws: TaskRejection.self) {
                try DelegateTask.decode(task(["prod", selector]), defaultID: nil)
            }
            #expect(refused?.code == .invalidTask)
            #expect(
                refused?.message.contains("connector.delegateSelectors[1] " + expected) == true,
                "\(refused?.message ?? "")")
            // Taken up by any delegate, so that it is answered on every intake.
            #expect(SelectionPolicy(name: "d", tags: [], acceptUntagged: false).matches(["prod", selector]) == .accept)
        }
        // A blank selector (a producer's unset variable) is refused, not ignored: ignored, the
        // task would run on every delegate that accepts untagged tasks.
        for blank in ["", "   ", "\t"] {
            let refused = #expect(throws: TaskRejection.self) {
                try DelegateTask.decode(task(["prod", blank]), defaultID: nil)
            }
            #expect(refused?.code == .invalidTask)
            #expect(
                refused?.message.contains("connector.delegateSelectors[1] is blank") == true,
                "\(refused?.message ?? "")")
        }
    }

    /// A tags object is counted before its members are read: thousands of members are refused
    /// at once (reading them sorted, each looked up in the object, was quadratic).
    @Test func aTagsObjectOverTheLimitIsRefusedByItsCount() throws {
        let tags = JSONObject(Dictionary(uniqueKeysWithValues: (0..<20_000).map { ("k\($0)", JSONValue.string("v")) }))
        let task = TaskFixtures.task(
            operation: "createSecret", params: ["name": "db", "secretString": "s", "tags": .object(tags)])
        let rejection = #expect(throws: TaskRejection.self) { try DelegateTask.decode(task, defaultID: nil) }
        #expect(
            rejection?.message.contains("params.tags has 20000 tags; the limit is 50") == true,
            "\(rejection?.message ?? "")")
        var fifty = JSONObject()
        for index in 0..<50 { fifty["k\(index)"] = .string("v\(index)") }
        let allowed = TaskFixtures.task(
            operation: "createSecret", params: ["name": "db", "secretString": "s", "tags": .object(fifty)])
        let expected = (0..<50).map { SecretTag(key: "k\($0)", value: "v\($0)") }.sorted { $0.key < $1.key }
        #expect(
            try DelegateTask.decode(allowed, defaultID: nil).operation
                == .createSecret(
                    CreateSecretParams(
                        secret: try SecretReference(parsing: "db", prefix: "devops", allowJSONKey: false),
                        value: .string("s"), description: nil, kmsKeyId: nil, tags: expected)))
    }

    @Test func everyOperationDecodesToTypedParams() throws {
        func operation(_ name: String, _ params: JSONValue?) throws -> TaskOperation {
            try DelegateTask.decode(TaskFixtures.task(operation: name, params: params), defaultID: nil).operation
        }
        func reference(_ name: String, key: String? = nil) throws -> SecretReference {
            try SecretReference(
                parsing: key.map { name + "#" + $0 } ?? name, prefix: "devops", allowJSONKey: key != nil)
        }

        #expect(
            try operation(
                "createSecret",
                [
                    "name": "db", "secretString": "s3cr3t", "description": "the db", "kmsKeyId": "alias/k",
                    "tags": ["team": "db", "env": "prod"],
                ])
                == .createSecret(
                    CreateSecretParams(
                        secret: try reference("db"), value: .string("s3cr3t"), description: "the db",
                        kmsKeyId: "alias/k",
                        tags: [SecretTag(key: "env", value: "prod"), SecretTag(key: "team", value: "db")])))
        #expect(
            try operation(
                "createSecret",
                [
                    "name": "bin", "secretBinary": "AAEC/w==",
                    "tags": [["key": "a", "value": "b"], ["Key": "c", "Value": ""]],
                ])
                == .createSecret(
                    CreateSecretParams(
                        secret: try reference("bin"), value: .binary(Data([0, 1, 2, 255])), description: nil,
                        kmsKeyId: nil, tags: [SecretTag(key: "a", value: "b"), SecretTag(key: "c", value: "")])))
        // A list tag that gives a field in both spellings, or a member besides its two, is
        // refused, not read as one of them.
        for tag: JSONValue in [
            ["key": "a", "Key": "admins", "value": "v"], ["Key": "a", "Value": "ops", "value": "db"],
            ["key": "a", "value": "v", "vaule": "w"], ["key": "a"],
        ] {
            let rejection = #expect(throws: TaskRejection.self, "\(tag)") {
                try operation("createSecret", ["name": "db", "secretString": "s", "tags": [tag]])
            }
            #expect(rejection?.message.contains("params.tags[0]") == true, "\(rejection?.message ?? "")")
        }
        // Wrapped as GNU base64 wraps (LF, or CRLF from a Windows tool): the same bytes.
        let wrapped = String(repeating: "A", count: 76) + "\n" + String(repeating: "A", count: 76) + "\r\nAAEC/w=="
        #expect(
            try operation("putSecretValue", ["name": "bin", "secretBinary": .string(wrapped)])
                == .putSecretValue(
                    PutSecretValueParams(
                        secret: try reference("bin"),
                        value: .binary(Data(repeating: 0, count: 114) + Data([0, 1, 2, 255])),
                        versionStages: nil)))
        #expect(
            try operation(
                "getSecretValue",
                ["name": "db", "versionStage": "AWSPREVIOUS", "versionId": "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"])
                == .getSecretValue(
                    GetSecretValueParams(
                        secret: try reference("db"), versionId: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
                        versionStage: "AWSPREVIOUS")))
        #expect(
            try operation(
                "putSecretValue", ["name": "db", "secretString": "new", "versionStages": ["AWSCURRENT", "blue"]])
                == .putSecretValue(
                    PutSecretValueParams(
                        secret: try reference("db"), value: .string("new"), versionStages: ["AWSCURRENT", "blue"])))
        #expect(
            try operation("updateSecret", ["name": "db", "description": "d"])
                == .updateSecret(
                    UpdateSecretParams(secret: try reference("db"), value: nil, description: "d", kmsKeyId: nil)))
        #expect(
            try operation("describeSecret", ["name": "db"])
                == .describeSecret(DescribeSecretParams(secret: try reference("db"))))
        #expect(
            try operation("deleteSecret", ["name": "db"])
                == .deleteSecret(DeleteSecretParams(secret: try reference("db"), recovery: .defaultWindow)))
        #expect(
            try operation(
                "deleteSecret", ["name": "db", "recoveryWindowInDays": 7, "forceDeleteWithoutRecovery": false])
                == .deleteSecret(DeleteSecretParams(secret: try reference("db"), recovery: .window(days: 7))))
        #expect(
            try operation("deleteSecret", ["name": "db", "forceDeleteWithoutRecovery": true])
                == .deleteSecret(DeleteSecretParams(secret: try reference("db"), recovery: .forceWithoutRecovery)))
        #expect(
            try operation("listSecrets", nil)
                == .listSecrets(ListSecretsParams(nameFilter: nil, maxResults: nil, nextToken: nil, all: false)))
        #expect(
            try operation("listSecrets", ["nameFilter": "db/", "maxResults": 100, "nextToken": "tok", "all": true])
                == .listSecrets(ListSecretsParams(nameFilter: "db/", maxResults: 100, nextToken: "tok", all: true)))
        // Managed secrets' names by their start ('!' inside), but never a leading '!' (AWS's negation).
        #expect(
            try operation("listSecrets", ["nameFilter": "rds!db-"])
                == .listSecrets(ListSecretsParams(nameFilter: "rds!db-", maxResults: nil, nextToken: nil, all: false)))
        let negated = #expect(throws: TaskRejection.self) { try operation("listSecrets", ["nameFilter": "!db"]) }
        #expect(negated?.message.contains("'!' (not first") == true, "\(negated?.message ?? "")")
        #expect(
            try operation("listSecretVersionIds", ["name": "db", "includeDeprecated": true, "maxResults": 1])
                == .listSecretVersionIds(
                    ListSecretVersionIdsParams(
                        secret: try reference("db"), includeDeprecated: true, maxResults: 1, nextToken: nil)))
        #expect(
            try operation(
                "getRandomPassword",
                [
                    "passwordLength": 4096, "excludeCharacters": "\"'", "excludeNumbers": false,
                    "excludePunctuation": true,
                    "excludeUppercase": false, "excludeLowercase": false, "includeSpace": true,
                    "requireEachIncludedType": true,
                ])
                == .getRandomPassword(
                    GetRandomPasswordParams(
                        passwordLength: 4096, excludeCharacters: "\"'", excludeNumbers: false, excludePunctuation: true,
                        excludeUppercase: false, excludeLowercase: false, includeSpace: true,
                        requireEachIncludedType: true)))
        #expect(
            try operation("getRandomPassword", [:])
                == .getRandomPassword(
                    GetRandomPasswordParams(
                        passwordLength: nil, excludeCharacters: nil, excludeNumbers: nil, excludePunctuation: nil,
                        excludeUppercase: nil, excludeLowercase: nil, includeSpace: nil, requireEachIncludedType: nil)))
        #expect(try operation("testConnection", nil) == .testConnection)
        #expect(try operation("testConnection", [:]) == .testConnection)
        // Every operation of the spec is covered above.
        #expect(OperationName.allCases.count == 10)
    }

    @Test func arnNamesUnderThePrefixAreUsedAsIs() throws {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/db-AbCdEf"
        let task = try DelegateTask.decode(
            TaskFixtures.task(params: .object(["name": .string(arn + "#password")])), defaultID: nil)
        #expect(task.operation.secret?.fullName == arn)
        #expect(task.operation.secret?.jsonKey == "password")
    }

    /// A secret another AWS service manages (`rds!db-<id>`) is named by the operations that
    /// read; the ones that write refuse it before any AWS call (it is changed through its service).
    @Test(arguments: [
        ("getSecretValue", true), ("describeSecret", true), ("listSecretVersionIds", true), ("putSecretValue", false),
        ("updateSecret", false), ("deleteSecret", false), ("createSecret", false),
    ])
    func aManagedSecretIsNamedOnlyByTheOperationsThatRead(operation: String, reads: Bool) throws {
        var params: JSONObject = ["name": "rds!db-0f16c155"]
        if ["putSecretValue", "createSecret"].contains(operation) { params["secretString"] = "v" }
        if operation == "updateSecret" { params["description"] = "d" }
        let data = TaskFixtures.task(operation: operation, params: .object(params)) {
            if case .object(var connector)? = $0["connector"] {
                connector["secretNamePrefix"] = ""
                $0["connector"] = .object(connector)
            }
        }
        if reads {
            #expect(try DelegateTask.decode(data, defaultID: nil).operation.secret?.fullName == "rds!db-0f16c155")
        } else {
            let error = #expect(throws: TaskRejection.self) { try DelegateTask.decode(data, defaultID: nil) }
            #expect(error?.code == .invalidSecretName)
            #expect(error?.message.contains("another AWS service manages") == true, "\(error?.message ?? "")")
        }
    }

    /// A new secret has a name: an ARN names only existing secrets (AWS refuses `:` in a name),
    /// so createSecret with one is refused before any AWS call.
    @Test func createSecretTakesANameNotAnARN() throws {
        for prefix in ["devops", ""] {
            let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/new"
            let error = #expect(throws: TaskRejection.self) {
                try DelegateTask.decode(
                    TaskFixtures.task(operation: "createSecret", params: ["name": .string(arn), "secretString": "v"]) {
                        if case .object(var connector)? = $0["connector"] {
                            connector["secretNamePrefix"] = .string(prefix)
                            $0["connector"] = .object(connector)
                        }
                    }, defaultID: nil)
            }
            #expect(error?.code == .invalidSecretName, "prefix \(prefix)")
            #expect(error?.message.contains("not an ARN") == true)
        }
    }

    @Test func secretValuesAreRedactedInDescriptions() throws {
        let task = try DelegateTask.decode(
            TaskFixtures.task(operation: "createSecret", params: ["name": "db", "secretString": "CANARY-42"]),
            defaultID: nil)
        #expect(!String(describing: task).contains("CANARY-42"))
        #expect(!String(reflecting: task).contains("CANARY-42"))
        #expect(String(describing: SecretValue.string("CANARY-42")) == "SecretValue.string(<redacted 9 bytes>)")
    }

    @Test func aParsedDocumentDecodesAsItsBytesDo() throws {
        let data = TaskFixtures.task()
        let document = TaskDocument(data)
        #expect(try DelegateTask.decode(document, defaultID: nil) == DelegateTask.decode(data, defaultID: nil))
        #expect(document.envelope == TaskEnvelope(id: "build-4711-db-password", delegateSelectors: ["prod"]))
        // What the bytes' own decode refuses, the document's refuses with the same message.
        for bad in [
            Data("not json".utf8), Data([0x22, 0xFF, 0x22]), Data(repeating: 0x20, count: (1 << 20) + 1),
            Data(#"{"id":"a","id":"b"}"#.utf8), Data("[]".utf8),
        ] {
            let fromBytes = #expect(throws: TaskRejection.self) { try DelegateTask.decode(bad, defaultID: "f") }
            let fromDocument = #expect(throws: TaskRejection.self) {
                try DelegateTask.decode(TaskDocument(bad), defaultID: "f")
            }
            #expect(fromDocument != nil && fromBytes == fromDocument)
            #expect(fromDocument?.taskID == "f")
        }
        #expect(TaskDocument(Data(repeating: 0x20, count: (1 << 20) + 1)).envelope == nil)
    }

    @Test func theSpoolRunsTheClaimedBytesNotAnEarlierPeek() throws {
        let peeked = TaskDocument(TaskFixtures.task { $0["id"] = "peeked" })
        let same = SpoolIntake.document(of: TaskFixtures.task { $0["id"] = "peeked" }, peeked: peeked)
        #expect(same.matchedAtPeek)
        #expect(try DelegateTask.decode(same.document, defaultID: nil).id == "peeked")
        // The file was replaced between the peek and the claim: the claimed bytes run.
        let replaced = SpoolIntake.document(of: TaskFixtures.task { $0["id"] = "replaced" }, peeked: peeked)
        #expect(!replaced.matchedAtPeek)
        #expect(replaced.document.data == TaskFixtures.task { $0["id"] = "replaced" })
        #expect(try DelegateTask.decode(replaced.document, defaultID: nil).id == "replaced")
        let unpeeked = SpoolIntake.document(of: TaskFixtures.task(), peeked: nil)
        #expect(unpeeked.document.data == TaskFixtures.task() && !unpeeked.matchedAtPeek)
    }

    @Test func envelopePeeksSelectorsOnly() {
        #expect(
            TaskDocument(TaskFixtures.task()).envelope
                == TaskEnvelope(id: "build-4711-db-password", delegateSelectors: ["prod"]))
        // Invalid elsewhere, still peekable: selection does not validate everything.
        #expect(
            TaskDocument(TaskFixtures.task(operation: "bogus")).envelope
                == TaskEnvelope(id: "build-4711-db-password", delegateSelectors: ["prod"]))
        #expect(
            TaskDocument(Data(#"{"connector":{}}"#.utf8)).envelope == TaskEnvelope(id: nil, delegateSelectors: []))
        #expect(TaskDocument(Data("not json".utf8)).envelope == nil)
        #expect(TaskDocument(Data(#"{"id":"x"}"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data(#"{"connector":{"delegateSelectors":"prod"}}"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data(repeating: 0x20, count: (1 << 20) + 1)).envelope == nil)
        // What it reads, and the shapes it refuses (as the task decoder would).
        #expect(
            TaskDocument(Data(#"{"id":"a","connector":{"delegateSelectors":["x","y"]}}"#.utf8)).envelope
                == TaskEnvelope(id: "a", delegateSelectors: ["x", "y"]))
        #expect(
            TaskDocument(Data(#"{"id":null,"connector":"billing"}"#.utf8)).envelope
                == TaskEnvelope(id: nil, delegateSelectors: [], connectorName: "billing"))
        #expect(
            TaskDocument(Data(#"{"connector":{"delegateSelectors":null}}"#.utf8)).envelope
                == TaskEnvelope(id: nil, delegateSelectors: []))
        #expect(
            TaskDocument(Data(#"{"connector":"first","connector":"second"}"#.utf8)).envelope?.connectorName == "first",
            "a key given twice: the parser keeps the first (the task decoder then refuses the task)")
        #expect(TaskDocument(Data(#"{"id":7,"connector":{}}"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data(#"{"connector":null}"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data(#"{"connector":["x"]}"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data(#"{"connector":{"delegateSelectors":["x",1]}}"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data(#"["connector"]"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])).envelope == nil, "not UTF-8")
        // Read as the task decoder reads it: a byte order mark and trailing commas are fine, and
        // what the decoder refuses as JSON anywhere in the task (a number out of range, a lone
        // surrogate, UTF-16) is refused here too, so no delegate leaves such a task for another.
        #expect(
            TaskDocument(Data([0xEF, 0xBB, 0xBF] + Array(#"{"connector":{"delegateSelectors":["x",]},}"#.utf8)))
                .envelope
                == TaskEnvelope(id: nil, delegateSelectors: ["x"]))
        #expect(TaskDocument(Data(#"{"connector":{},"params":{"x":1e999}}"#.utf8)).envelope == nil)
        #expect(TaskDocument(Data(#"{"connector":{},"params":{"x":"\ud800"}}"#.utf8)).envelope == nil)
        #expect(TaskDocument(#"{"connector":{}}"#.data(using: .utf16LittleEndian)!).envelope == nil)
    }

    @Test(arguments: [
        ("us-east-1", true), ("us-gov-west-1", true), ("cn-north-1", true), ("ap-southeast-2", true),
        ("il-central-1", true), ("us-isob-east-1", true), ("eusc-de-east-1", true), ("euse-de-east-1", false),
        ("eus-de-east-1", false),
        ("us-east", false), ("US-EAST-1", false), ("useast1", false), ("us-east-123", false), ("-east-1", false),
        ("", false), ("us--1", false), ("us-east-", false), ("use-east-1", false), ("us-east-1a", false),
        ("us-ea5t-1", false), ("us-east-\u{0661}", false), ("us-east-1\u{301}", false), ("u\u{301}s-east-1", false),
        ("us-" + String(repeating: "a", count: 27) + "-1", true),
        ("us-" + String(repeating: "a", count: 28) + "-1", false),
    ])
    func regions(region: String, valid: Bool) {
        #expect(Connector.isValidRegion(region) == valid)
    }

    @Test(arguments: [
        ("arn:aws:iam::123456789012:role/sm", true),
        ("arn:aws:iam::123456789012:role/service-role/my.role+x=y,z@w_1", true),
        ("arn:aws-cn:iam::123456789012:role/r", true),
        ("arn:aws:iam::123456789012:role/", false),
        ("arn:aws:iam::123456789012:role/" + String(repeating: "r", count: 65), false),
        ("arn:aws:iam:us-east-1:123456789012:role/r", false),
        ("arn:aws:sts::123456789012:role/r", false),
        ("arn:aws:iam::12345678901a:role/r", false),
        ("arn:aws:iam::123456789012:role/bad name", false),
        ("arn:AWS:iam::123456789012:role/r", false),
        // A digit or letter with a combining mark is one Character, and no digit or letter.
        ("arn:aws:iam::12345678901\u{301}2:role/sm", false),
        ("arn:awsb\u{301}:iam::123456789012:role/r", false),
        // A path takes any printable ASCII but space (IAM's rule); the name does not.
        ("arn:aws:iam::123456789012:role/team~a/dept#1:x!/sm", true),
        ("arn:aws:iam::123456789012:role/a b/sm", false),
        ("arn:aws:iam::123456789012:role/p\u{E9}/sm", false),
        ("arn:aws:iam::123456789012:role/team/s~m", false),
        ("arn:aws:iam::123456789012:role/team/", false),
        // IAM's path /ppp.../ of 512 characters, its leading / not in the ARN.
        ("arn:aws:iam::123456789012:role/" + String(repeating: "p", count: 510) + "/sm", true),
        ("arn:aws:iam::123456789012:role/" + String(repeating: "p", count: 511) + "/sm", false),
    ])
    func roleARNs(arn: String, valid: Bool) {
        #expect(AssumeRoleCredentials.isValidRoleARN(arn) == valid)
    }
}
