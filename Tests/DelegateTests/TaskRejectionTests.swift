import Foundation
import SecretsManager
import Testing

@testable import Delegate

@Suite struct TaskRejectionTests {
    func reject(_ data: Data, defaultID: String? = nil) -> TaskRejection? {
        do {
            _ = try DelegateTask.decode(data, defaultID: defaultID)
            return nil
        } catch {
            return error
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let data: Data
        let code: TaskFailure.Code
        let message: String
        var testDescription: String { label }
    }

    static let secretText = "hunter2-CANARY-value"

    static let cases: [Case] = [
        Case(
            label: "bad JSON", data: Data("{\"id\": ".utf8), code: .invalidTask,
            message: "the task is not valid JSON: it ends after 7 bytes, before its JSON does (cut short?)"),
        Case(
            label: "lone surrogate", data: Data(#"{"id": "a", "params": {"secretString": "\udcff"}}"#.utf8),
            code: .invalidTask,
            message: "the task is not valid JSON: the \\u escape ending at line 1, column 47 (after 46 bytes) is half "
                + "a surrogate pair, no character"),
        Case(
            label: "number out of range", data: Data(#"{"id":"a","deadlineSeconds":1e999}"#.utf8), code: .invalidTask,
            message: "the task is not valid JSON: the number at line 1, column 29 (after 28 bytes) is out of a double's range"),
        Case(
            label: "blank", data: Data(" \n".utf8), code: .invalidTask, message: "the task is empty, not a JSON object"),
        Case(
            label: "not UTF-8", data: Data([0x7B, 0xFF, 0x7D]), code: .invalidTask,
            message: "the task is not valid UTF-8"),
        Case(
            label: "not an object", data: Data("[1,2]".utf8), code: .invalidTask,
            message: "the task must be a JSON object, not an array"),
        Case(
            label: "oversize", data: Data(repeating: 0x20, count: (1 << 20) + 1), code: .invalidTask,
            message: "the task is 1048577 bytes; the limit is 1048576 bytes (1 MiB)"),
        Case(
            label: "bad id", data: TaskFixtures.task { $0["id"] = "../etc/passwd" }, code: .invalidTask,
            message: "id must be 1-128 characters of A-Za-z0-9._- (and not '.' or '..')"),
        Case(
            label: "long id", data: TaskFixtures.task { $0["id"] = .string(String(repeating: "a", count: 129)) },
            code: .invalidTask, message: "id must be 1-128 characters of A-Za-z0-9._- (and not '.' or '..')"),
        Case(
            label: "id not a string", data: TaskFixtures.task { $0["id"] = 7 }, code: .invalidTask,
            message: "id must be a string, not a number"),
        Case(
            label: "missing id", data: TaskFixtures.task { $0["id"] = nil }, code: .invalidTask,
            message: "id is required"),
        Case(
            label: "unknown operation", data: TaskFixtures.task(operation: "getSecret"), code: .invalidTask,
            message: "operation \"getSecret\" is not known; the operations are createSecret, getSecretValue, "
                + "putSecretValue, updateSecret, describeSecret, deleteSecret, listSecrets, listSecretVersionIds, "
                + "getRandomPassword, testConnection"),
        Case(
            label: "missing operation", data: TaskFixtures.task { $0["operation"] = nil }, code: .invalidTask,
            message: "operation is required"),
        Case(
            label: "missing params", data: TaskFixtures.task(params: nil), code: .invalidTask,
            message: "params.name is required for getSecretValue"),
        Case(
            label: "missing secret value", data: TaskFixtures.task(operation: "createSecret", params: ["name": "db"]),
            code: .invalidTask, message: "params.secretString or params.secretBinary is required for createSecret"),
        Case(
            label: "params not an object", data: TaskFixtures.task(params: "db"), code: .invalidTask,
            message: "params must be an object, not a string"),
        Case(
            label: "unknown param", data: TaskFixtures.task(params: ["name": "db", "versionid": "x"]),
            code: .invalidTask, message: "params.versionid is not a field of getSecretValue"),
        Case(
            label: "unknown top-level field", data: TaskFixtures.task { $0["priority"] = 1 }, code: .invalidTask,
            message: "priority is not a field of a task"),
        Case(
            label: "plaintext secretAccessKey",
            data: TaskFixtures.task(credentials: [
                "type": "accessKey", "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": .string(secretText),
            ]),
            code: .invalidTask,
            message: "connector.credentials.secretAccessKey looks like a plaintext secret; secrets are never "
                + "accepted inside a task: store it in a credential file and use secretAccessKeyRef to name it"),
        Case(
            label: "plaintext sessionToken",
            data: TaskFixtures.task(credentials: [
                "type": "accessKey", "accessKeyId": "AKIAEXAMPLE", "secretAccessKeyRef": "sm-key",
                "sessionToken": .string(secretText),
            ]),
            code: .invalidTask,
            message: "connector.credentials.sessionToken looks like a plaintext secret; secrets are never "
                + "accepted inside a task: store it in a credential file and use sessionTokenRef to name it"),
        Case(
            label: "plaintext aws_secret_access_key on the connector",
            data: TaskFixtures.taskWithConnector { $0["aws_secret_access_key"] = .string(secretText) },
            code: .invalidTask,
            message: "connector.aws_secret_access_key looks like a plaintext secret; secrets are never accepted "
                + "inside a task: store it in a credential file and use secretAccessKeyRef to name it"),
        Case(
            label: "bad ref with a slash",
            data: TaskFixtures.task(credentials: [
                "type": "accessKey", "accessKeyId": "AKIAEXAMPLE", "secretAccessKeyRef": "../../etc/shadow",
            ]),
            code: .invalidTask,
            message: "connector.credentials.secretAccessKeyRef must be a credential name of 1-128 characters of "
                + "A-Za-z0-9_.- (not '.' or '..')"),
        Case(
            label: "ref that is a whole '..'",
            data: TaskFixtures.task(credentials: [
                "type": "accessKey", "accessKeyId": "AKIAEXAMPLE", "secretAccessKeyRef": "..",
            ]),
            code: .invalidTask,
            message: "connector.credentials.secretAccessKeyRef must be a credential name of 1-128 characters of "
                + "A-Za-z0-9_.- (not '.' or '..')"),
        Case(
            label: "ref that is a pasted key",
            data: TaskFixtures.task(credentials: [
                "type": "accessKey", "accessKeyIdRef": "id", "secretAccessKeyRef": .string(secretText + "/+x"),
            ]),
            code: .invalidTask,
            message: "connector.credentials.secretAccessKeyRef must be a credential name of 1-128 characters of "
                + "A-Za-z0-9_.- (not '.' or '..')"),
        Case(
            label: "both key id forms",
            data: TaskFixtures.task(credentials: [
                "type": "accessKey", "accessKeyId": "AKIA", "accessKeyIdRef": "id", "secretAccessKeyRef": "k",
            ]),
            code: .invalidTask,
            message: "connector.credentials: give either accessKeyId or accessKeyIdRef, not both"),
        Case(
            label: "bad role ARN",
            data: TaskFixtures.task(credentials: ["type": "assumeRole", "roleArn": "arn:aws:iam::12345:role/sm"]),
            code: .invalidTask,
            message:
                "connector.credentials.roleArn is not an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>, the partition aws, aws-cn, aws-us-gov, ...)"
        ),
        Case(
            label: "user ARN instead of role",
            data: TaskFixtures.task(credentials: ["type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:user/u"]),
            code: .invalidTask,
            message:
                "connector.credentials.roleArn is not an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>, the partition aws, aws-cn, aws-us-gov, ...)"
        ),
        Case(
            label: "role ARN pasted with a line break",
            data: TaskFixtures.task(credentials: ["type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/sm\n"]),
            code: .invalidTask,
            message:
                "connector.credentials.roleArn begins or ends with white space (a space or a line break pasted with it): remove it"
        ),
        Case(
            label: "external id not ASCII, over 1224 bytes",
            data: TaskFixtures.task(credentials: [
                "type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/sm",
                "externalId": .string(String(repeating: "é", count: 700)),
            ]),
            code: .invalidTask, message: "connector.credentials.externalId may only contain ASCII letters, digits and +=,.@:/-_"),
        Case(
            label: "duration 899",
            data: TaskFixtures.task(credentials: [
                "type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/sm", "durationSeconds": 899,
            ]),
            code: .invalidTask,
            message: "connector.credentials.durationSeconds must be between 900 and 43200, not 899 "
                + "(STS allows 900 seconds to 12 hours)"),
        Case(
            label: "duration 43201",
            data: TaskFixtures.task(credentials: [
                "type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/sm", "durationSeconds": 43201,
            ]),
            code: .invalidTask,
            message: "connector.credentials.durationSeconds must be between 900 and 43200, not 43201 "
                + "(STS allows 900 seconds to 12 hours)"),
        Case(
            label: "externalId too short",
            data: TaskFixtures.task(credentials: [
                "type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/sm", "externalId": "x",
            ]),
            code: .invalidTask, message: "connector.credentials.externalId must be 2-1224 characters long, not 1"),
        Case(
            label: "unknown credentials type", data: TaskFixtures.task(credentials: ["type": "sso"]),
            code: .invalidTask,
            message:
                "connector.credentials.type \"sso\" is not known; the types are accessKey, instanceRole, assumeRole"
        ),
        Case(
            label: "assumeRole field on instanceRole",
            data: TaskFixtures.task(credentials: [
                "type": "instanceRole", "roleArn": "arn:aws:iam::123456789012:role/sm",
            ]),
            code: .invalidTask, message: "connector.credentials.roleArn is not a field of instanceRole credentials"),
        // A key a message quotes shows its separators and overrides escaped (no forged line, no
        // reordered text in the journal or a terminal).
        Case(
            label: "key with a line separator and an override",
            data: TaskFixtures.taskWithConnector { $0["x\u{2028}EVENT=forged\u{202E}fed"] = 1 }, code: .invalidTask,
            message: "connector.x\\u{2028}EVENT=forged\\u{202e}fed is not a field of a connector"),
        // A long name that looks like a secret may hold it (a credentials file's line as a key).
        Case(
            label: "secret pasted as a key",
            data: TaskFixtures.task(credentials: [
                "type": "instanceRole", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": true,
            ]),
            code: .invalidTask,
            message:
                "connector.credentials.<a field of 62 characters> looks like a plaintext secret; secrets are never "
                + "accepted inside a task: store it in a credential file and use secretAccessKeyRef to name it"),
        // In params too, where no field is checked for plaintext secrets: named by its length.
        Case(
            label: "secret pasted as a key in params",
            data: TaskFixtures.task(params: [
                "name": "db", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": true,
            ]),
            code: .invalidTask, message: "params.<a field of 62 characters> is not a field of getSecretValue"),
        Case(
            label: "bad region", data: TaskFixtures.taskWithConnector { $0["region"] = "US East" }, code: .invalidTask,
            message: "connector.region \"US East\" is not an AWS region (like us-east-1)"),
        Case(
            label: "missing connector", data: TaskFixtures.task { $0["connector"] = nil }, code: .invalidTask,
            message: "connector is required"),
        Case(
            label: "selectors not strings",
            data: TaskFixtures.taskWithConnector { $0["delegateSelectors"] = ["a", 1] },
            code: .invalidTask, message: "connector.delegateSelectors[1] must be a string, not a number"),
        Case(
            label: "bad secret name", data: TaskFixtures.task(params: ["name": "db password"]),
            code: .invalidSecretName,
            message: "params.name: secret name 'devops/db password' contains the character U+0020; "
                + "allowed are letters, digits and /_+=.@-"),
        Case(
            label: "secret name too long",
            data: TaskFixtures.task(params: .object(["name": .string(String(repeating: "n", count: 506))])),
            code: .invalidSecretName,
            message: "params.name: secret name '"
                + "devops/" + String(repeating: "n", count: 121) + "...' is 513 characters long; the limit is 512"),
        Case(
            label: "bad prefix", data: TaskFixtures.taskWithConnector { $0["secretNamePrefix"] = "dev ops" },
            code: .invalidSecretName,
            message: "connector.secretNamePrefix is invalid: secret name 'dev ops' contains the character U+0020; "
                + "allowed are letters, digits and /_+=.@-"),
        Case(
            label: "ARN as prefix",
            data: TaskFixtures.taskWithConnector {
                $0["secretNamePrefix"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:team"
            },
            code: .invalidSecretName,
            message:
                "connector.secretNamePrefix is invalid: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:team' "
                + "is an ARN; a prefix is the beginning of secret names (such as team or team/app)"),
        Case(
            label: "name#key on a write",
            data: TaskFixtures.task(operation: "describeSecret", params: ["name": "db#password"]),
            code: .invalidSecretName,
            message: "params.name: secret name 'db#password' contains '#': picking a JSON field with '#key' is only "
                + "allowed for getSecretValue"),
        Case(
            label: "empty #key", data: TaskFixtures.task(params: ["name": "db#"]), code: .invalidSecretName,
            message: "params.name: secret name 'db#' ends in '#' but names no JSON field after it"),
        Case(
            label: "malformed ARN",
            data: TaskFixtures.task(params: ["name": "arn:aws:secretsmanager:us-east-1:123:secret:db"]),
            code: .invalidSecretName,
            message: "params.name: secret ARN 'arn:aws:secretsmanager:us-east-1:123:secret:db' is malformed; "
                + "expected arn:<partition>:secretsmanager:<region>:<12-digit account>:secret:<name>"),
        Case(
            label: "ARN outside the prefix",
            data: TaskFixtures.task(params: ["name": "arn:aws:secretsmanager:us-east-1:123456789012:secret:payroll/db"]
            ),
            code: .invalidSecretName,
            message: "params.name: secret ARN 'arn:aws:secretsmanager:us-east-1:123456789012:secret:payroll/db' names "
                + "a secret outside the connector's prefix 'devops/'; under a prefix an ARN must name a secret in it"),
        Case(
            label: "recovery window and force",
            data: TaskFixtures.task(
                operation: "deleteSecret",
                params: ["name": "db", "recoveryWindowInDays": 7, "forceDeleteWithoutRecovery": true]),
            code: .invalidTask,
            message: "give either params.recoveryWindowInDays or params.forceDeleteWithoutRecovery, not both"),
        Case(
            label: "recovery window 6",
            data: TaskFixtures.task(operation: "deleteSecret", params: ["name": "db", "recoveryWindowInDays": 6]),
            code: .invalidTask, message: "params.recoveryWindowInDays must be between 7 and 30, not 6"),
        Case(
            label: "password length 4097",
            data: TaskFixtures.task(operation: "getRandomPassword", params: ["passwordLength": 4097]),
            code: .invalidTask, message: "params.passwordLength must be between 1 and 4096, not 4097"),
        Case(
            label: "password length 0",
            data: TaskFixtures.task(operation: "getRandomPassword", params: ["passwordLength": 0]),
            code: .invalidTask, message: "params.passwordLength must be between 1 and 4096, not 0"),
        Case(
            label: "bad base64",
            data: TaskFixtures.task(
                operation: "createSecret", params: ["name": "db", "secretBinary": "%%%not base64"]),
            code: .invalidTask, message: "params.secretBinary is not valid base64"),
        Case(
            label: "empty secretBinary",
            data: TaskFixtures.task(operation: "createSecret", params: ["name": "db", "secretBinary": ""]),
            code: .invalidTask, message: "params.secretBinary is empty; Secrets Manager stores 1-65536 bytes"),
        Case(
            label: "empty secretString",
            data: TaskFixtures.task(operation: "putSecretValue", params: ["name": "db", "secretString": ""]),
            code: .invalidTask, message: "params.secretString is empty; Secrets Manager stores 1-65536 bytes"),
        Case(
            // 1,024 letters, each with a combining accent: 1,024 characters on screen, 2,048 as AWS
            // counts them (code points), one more than a description may have.
            label: "description counted in code points",
            data: TaskFixtures.task(
                operation: "updateSecret",
                params: ["name": "db", "description": .string(String(repeating: "e\u{301}", count: 1024) + "x")]),
            code: .invalidTask, message: "params.description must be 0-2048 characters long, not 2049"),
        Case(
            // AWS's version ids are 32-64 characters (UUIDs in practice); a shorter one is refused
            // before a call AWS would refuse.
            label: "versionId shorter than AWS's",
            data: TaskFixtures.task(
                operation: "getSecretValue",
                params: ["name": "db", "versionId": .string(String(repeating: "a", count: 31))]),
            code: .invalidTask, message: "params.versionId must be 32-64 characters long, not 31"),
        Case(
            label: "versionId longer than AWS's",
            data: TaskFixtures.task(
                operation: "getSecretValue",
                params: ["name": "db", "versionId": .string(String(repeating: "a", count: 65))]),
            code: .invalidTask, message: "params.versionId must be 32-64 characters long, not 65"),
        Case(
            label: "tag value counted in code points",
            data: TaskFixtures.task(
                operation: "createSecret",
                params: [
                    "name": "db", "secretString": "x",
                    "tags": ["team": .string(String(repeating: "a\u{308}", count: 129))],
                ]),
            code: .invalidTask, message: "params.tags: tag 1 has a value longer than 256 characters"),
        Case(
            label: "tag key in AWS's reserved aws: prefix, any case",
            data: TaskFixtures.task(
                operation: "createSecret",
                params: [
                    "name": "db", "secretString": "x", "tags": ["team": "ops", "AWS:cloudformation:stack-name": "s"],
                ]),
            code: .invalidTask,
            message: "params.tags: tag 1 has a key beginning with 'aws:', which AWS reserves for its own tags"),
        Case(
            label: "tag key in the aws: prefix with a combining mark after the colon",
            data: TaskFixtures.task(
                operation: "createSecret", params: ["name": "db", "secretString": "x", "tags": ["aws:\u{301}x": "v"]]),
            code: .invalidTask,
            message: "params.tags: tag 1 has a key beginning with 'aws:', which AWS reserves for its own tags"),
        Case(
            label: "both value forms",
            data: TaskFixtures.task(
                operation: "putSecretValue",
                params: ["name": "db", "secretString": .string(secretText), "secretBinary": "AAAA"]),
            code: .invalidTask, message: "give either params.secretString or params.secretBinary, not both"),
        Case(
            label: "secretString not a string",
            data: TaskFixtures.task(operation: "createSecret", params: ["name": "db", "secretString": ["a": 1]]),
            code: .invalidTask, message: "params.secretString must be a string, not an object"),
        Case(
            label: "value too large",
            data: TaskFixtures.task(
                operation: "createSecret",
                params: .object(["name": "db", "secretString": .string(String(repeating: "x", count: 65_537))])),
            code: .invalidTask, message: "params.secretString is 65537 bytes; Secrets Manager stores at most 65536"),
        Case(
            label: "empty update", data: TaskFixtures.task(operation: "updateSecret", params: ["name": "db"]),
            code: .invalidTask,
            message: "updateSecret needs at least one of params.secretString, params.secretBinary, "
                + "params.description, params.kmsKeyId"),
        Case(
            label: "deadline 0", data: TaskFixtures.task { $0["deadlineSeconds"] = 0 }, code: .invalidTask,
            message: "deadlineSeconds must be between 1 and 3600, not 0"),
        Case(
            label: "deadline 3601", data: TaskFixtures.task { $0["deadlineSeconds"] = 3601 }, code: .invalidTask,
            message: "deadlineSeconds must be between 1 and 3600, not 3601"),
        Case(
            label: "deadline fraction", data: TaskFixtures.task { $0["deadlineSeconds"] = 1.5 }, code: .invalidTask,
            message: "deadlineSeconds must be a whole number"),
        // Whole, but past what an integer holds: out of range, not "not whole".
        Case(
            label: "deadline 1e19", data: TaskFixtures.task { $0["deadlineSeconds"] = 1e19 }, code: .invalidTask,
            message: "deadlineSeconds must be between 1 and 3600, not 1e+19"),
        Case(
            label: "deadline of twenty digits",
            data: Data(
                String(decoding: TaskFixtures.task { $0["deadlineSeconds"] = 7 }, as: UTF8.self)
                    .replacingOccurrences(of: #""deadlineSeconds":7"#, with: #""deadlineSeconds":99999999999999999999"#)
                    .utf8),
            code: .invalidTask, message: "deadlineSeconds must be between 1 and 3600, not 1e+20"),
        // A field whose range is every integer says no range it would be inside.
        Case(
            label: "duration 1e19",
            data: TaskFixtures.task(credentials: [
                "type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/sm", "durationSeconds": 1e19,
            ]),
            code: .invalidTask,
            message:
                "connector.credentials.durationSeconds must be a whole number of at most 15 digits, not 1e+19 (STS allows 900 seconds to 12 hours)"
        ),
        Case(
            label: "params on testConnection",
            data: TaskFixtures.task(operation: "testConnection", params: ["name": "db"]), code: .invalidTask,
            message: "params.name is not a field of testConnection"),
    ]

    @Test(arguments: cases)
    func rejectsWithPreciseMessage(_ testCase: Case) throws {
        let rejection = try #require(reject(testCase.data))
        #expect(rejection.code == testCase.code)
        #expect(rejection.message == testCase.message)
        #expect(!rejection.message.contains(Self.secretText))
        #expect(!rejection.description.contains(Self.secretText))
    }

    @Test func rejectionCarriesWhatContextItCould() throws {
        let bad = try #require(reject(TaskFixtures.task(params: ["name": "db password"])))
        #expect(bad.taskID == "build-4711-db-password")
        #expect(bad.operation == "getSecretValue")
        #expect(bad.connectorID == "awsSmProd")

        let unknownOperation = try #require(reject(TaskFixtures.task(operation: "nope")))
        #expect(unknownOperation.operation == nil)
        #expect(unknownOperation.taskID == "build-4711-db-password")

        let notJSON = try #require(reject(Data("nope".utf8), defaultID: "spool-file-1"))
        #expect(notJSON.taskID == "spool-file-1")
        let badDefault = try #require(reject(Data("nope".utf8), defaultID: "bad name"))
        #expect(badDefault.taskID == nil)
    }

    @Test func spoolFileNameIsTheDefaultID() throws {
        let data = TaskFixtures.task { $0["id"] = nil }
        let task = try DelegateTask.decode(data, defaultID: "from-file.1")
        #expect(task.id == "from-file.1")
        let rejection = try #require(reject(data, defaultID: "bad name"))
        #expect(
            rejection.message
                == "the task has no id and its file name is not a valid id (1-128 characters of A-Za-z0-9._-)")
    }

    @Test func deeplyNestedJSONIsRejectedNotACrash() throws {
        let data = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        let rejection = try #require(reject(data))
        #expect(rejection.code == .invalidTask)
    }

    @Test func rejectedResultFromRejection() throws {
        let rejection = try #require(reject(TaskFixtures.task(params: nil)))
        let date = Date(timeIntervalSince1970: 1_795_262_400)
        let result = TaskResult.rejected(rejection, delegate: "d1", receivedAt: date, finishedAt: date)
        #expect(
            result.jsonLine
                == #"{"id":"build-4711-db-password","status":"rejected","operation":"getSecretValue","#
                + #""connectorId":"awsSmProd","delegate":"d1","receivedAt":"2026-11-21T12:00:00.000Z","#
                + #""finishedAt":"2026-11-21T12:00:00.000Z","attempts":0,"error":{"code":"InvalidTask","#
                + #""message":"params.name is required for getSecretValue","retryable":false}}"#)
    }
}
