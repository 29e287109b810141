import Foundation
import JSON

@testable import Delegate

/// Builds task JSON for tests from the spec's example, edited per test.
enum TaskFixtures {
    static let connector: JSONObject = [
        "id": "awsSmProd",
        "region": "us-east-1",
        "secretNamePrefix": "/devops/",
        "delegateSelectors": ["prod"],
        "credentials": [
            "type": "assumeRole", "roleArn": "arn:aws:iam::123456789012:role/sm", "externalId": "ext-7f3a",
            "durationSeconds": 3600,
        ],
    ]

    static func task(
        operation: String = "getSecretValue", params: JSONValue? = ["name": "db#password"],
        edit: (inout JSONObject) -> Void = { _ in }
    ) -> Data {
        var fields: JSONObject = [
            "id": "build-4711-db-password",
            "connector": .object(connector),
            "operation": .string(operation),
            "deadlineSeconds": 60,
        ]
        if let params { fields["params"] = params }
        edit(&fields)
        return Data(JSONValue.object(fields).jsonText.utf8)
    }

    /// The spec's task with its connector credentials replaced.
    static func task(credentials: JSONValue) -> Data {
        task { fields in
            var connector = Self.connector
            connector["credentials"] = credentials
            fields["connector"] = .object(connector)
        }
    }

    static func taskWithConnector(_ connectorEdit: (inout JSONObject) -> Void) -> Data {
        task { fields in
            var connector = Self.connector
            connectorEdit(&connector)
            fields["connector"] = .object(connector)
        }
    }
}
