import Sealing

extension TaskResult {
    /// This result with `result` replaced by `sealed` (unchanged if it has no `result`). The
    /// task id is the HPKE `aad`, so a sealed result cannot be passed off as another task's.
    public func sealed(to key: SealingKey) throws(HPKEError) -> TaskResult {
        guard let result else { return self }
        var copy = self
        copy.sealed = try SealedResult.seal(result, taskID: id ?? "", to: key)
        copy.result = nil
        return copy
    }

    /// This result with `sealed` replaced by the `result` it holds (unchanged if not sealed).
    public func opened(privateKey: [UInt8]) throws(SealedResultError) -> TaskResult {
        guard let sealed else { return self }
        var copy = self
        copy.result = try sealed.open(taskID: id ?? "", privateKey: privateKey)
        copy.sealed = nil
        return copy
    }
}

extension TaskResult {
    /// This result with what the operation gave withheld: failed with `failure`, no result (in
    /// the clear or sealed), and so neither `cached` nor `stale` (they describe a value given).
    public func withheld(_ failure: TaskFailure) -> TaskResult {
        var withheld = self
        (withheld.status, withheld.result, withheld.sealed, withheld.cached, withheld.stale) = (.failed, nil, nil, false, false)
        withheld.error = failure
        return withheld
    }
}
