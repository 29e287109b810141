import DelegateClient
import FoundationEssentials
import JSON

extension TaskResult {
    /// The value a succeeded `getSecretValue` result holds, as `get`, `exec` and the credentials
    /// socket hand it on (``ResultValue``: one rule for all three).
    func secretBytes() throws(ResultValue.Missing) -> Data {
        Data(try ResultValue.bytes(of: result, sealed: sealed != nil))
    }
}

extension TaskResult {
    /// The result members that hold a secret (a value, a `#key` field, a random password), as
    /// they are written: what an error message about sending the result must not quote. None
    /// for a sealed result.
    var secretValues: [String] {
        guard let result, case .object(let object) = result else { return [] }
        return ["secretString", "secretBinary", "value", "randomPassword"].compactMap { object[$0]?.stringValue }
    }
}
