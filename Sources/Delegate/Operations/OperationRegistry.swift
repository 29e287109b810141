/// Every operation the delegate performs, each defined in its own file under `Operations/`.
/// Decoding, connector policies (`operations = [...]`) and messages all derive from this list.
enum OperationRegistry {
    /// In the order of the spec's table (and of the "the operations are ..." message).
    static let all: [any DelegateOperation.Type] = [
        CreateSecretParams.self,
        GetSecretValueParams.self,
        PutSecretValueParams.self,
        UpdateSecretParams.self,
        DescribeSecretParams.self,
        DeleteSecretParams.self,
        ListSecretsParams.self,
        ListSecretVersionIdsParams.self,
        GetRandomPasswordParams.self,
        TestConnectionParams.self,
    ]

    static func operation(named name: OperationName) -> (any DelegateOperation.Type)? {
        all.first { $0.name == name }
    }
}
