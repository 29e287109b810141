import DelegateClient
import FoundationEssentials

extension TaskResult {
    /// The value a succeeded `getSecretValue` result holds, as `get`, `exec` and the credentials
    /// socket hand it on (``SecretValue``: one rule for all three).
    func secretBytes() throws(SecretValue.Missing) -> Data {
        Data(try SecretValue.bytes(of: result, sealed: sealed != nil))
    }
}
