import AWSCore
import SecretsManager

extension OperationName {
    public static let testConnection = OperationName(declaring: "testConnection")
}

extension TaskOperation {
    public static let testConnection = TaskOperation(TestConnectionParams())
}

/// `testConnection` takes no params; `ConnectionTest` does the work.
public struct TestConnectionParams: Sendable, Equatable {}

extension TestConnectionParams: DelegateOperation {
    static let name = OperationName.testConnection
    static let allowedParams: [String] = []
    static let writesSecret = false
    var namedSecret: SecretReference? { nil }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> TestConnectionParams {
        TestConnectionParams()
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        try await ConnectionTest(client: runner.client, taskID: runner.task.id, logger: runner.logger).run()
    }
}
