import DelegateClient
import FoundationEssentials

extension TaskResult {
    /// The value a succeeded `getSecretValue` result holds, as `get`, `exec` and the credentials
    /// socket hand it on (``ResultValue``: one rule for all three).
    func secretBytes() throws(ResultValue.Missing) -> Data {
        Data(try ResultValue.bytes(of: result, sealed: sealed != nil))
    }
}
