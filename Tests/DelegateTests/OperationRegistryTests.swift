import Testing

@testable import Delegate

/// Every operation is one file under `Operations/`, listed once in `OperationRegistry.all`.
@Suite struct OperationRegistryTests {
    @Test func theRegistryListsTheSpecsOperationsOnceInItsOrder() {
        #expect(
            OperationRegistry.all.map { $0.name.rawValue } == [
                "createSecret", "getSecretValue", "putSecretValue", "updateSecret", "describeSecret", "deleteSecret",
                "listSecrets", "listSecretVersionIds", "getRandomPassword", "testConnection",
            ])
        #expect(OperationName.allCases == OperationRegistry.all.map { $0.name })
    }

    @Test func aNameIsKnownOnlyIfAnOperationIsRegisteredUnderIt() throws {
        for operation in OperationRegistry.all {
            let name = try #require(OperationName(rawValue: operation.name.rawValue))
            let registered = try #require(OperationRegistry.operation(named: name))
            #expect(ObjectIdentifier(registered) == ObjectIdentifier(operation))
        }
        #expect(OperationName(rawValue: "rotateSecret") == nil)
        #expect(OperationName(rawValue: "GetSecretValue") == nil, "names are case-sensitive")
    }

    @Test func whatATaskOperationReportsComesFromItsOperation() throws {
        let read = try DelegateTask.decode(TaskFixtures.task(), defaultID: nil).operation
        #expect(read.name == .getSecretValue)
        #expect(!read.writesSecret)
        #expect(read.params(as: GetSecretValueParams.self)?.secret.fullName == read.secret?.fullName)
        #expect(read.params(as: DescribeSecretParams.self) == nil)
        #expect(read != .testConnection)
        let written = try DelegateTask.decode(
            TaskFixtures.task(operation: "deleteSecret", params: ["name": "db"]), defaultID: nil
        ).operation
        #expect(written.name == .deleteSecret)
        #expect(written.writesSecret)
        #expect(TaskOperation.testConnection.secret == nil)
    }
}
