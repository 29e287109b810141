extension TaskOperation {
    /// The params of `operation`, checked against what it takes (anything else is refused as a
    /// likely typo), then decoded by the operation.
    static func decode(
        _ operation: any DelegateOperation.Type, params rawParams: TaskObject, connector: Connector
    ) throws(TaskProblem) -> TaskOperation {
        let name = operation.name.rawValue
        let params = TaskObject(path: rawParams.path, fields: rawParams.fields, requiredFor: name)
        try params.refuseUnknown(operation.allowedParams, what: name, checkPlaintextSecrets: false)
        return TaskOperation(try operation.decode(OperationParams(object: params, prefix: connector.secretNamePrefix)))
    }
}
