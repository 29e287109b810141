import AWSCredentials

extension CredentialSpec {
    private static let allFields: [String] = [
        "type", "accessKeyId", "accessKeyIdRef", "secretAccessKeyRef", "sessionTokenRef", "roleArn",
        "externalId", "durationSeconds",
    ]
    private static let accessKeyFields: [String] = [
        "type", "accessKeyId", "accessKeyIdRef", "secretAccessKeyRef", "sessionTokenRef",
    ]
    private static let instanceRoleFields: [String] = ["type"]
    private static let assumeRoleFields: [String] = ["type", "roleArn", "externalId", "durationSeconds"]

    static func decode(_ object: TaskObject) throws(TaskProblem) -> CredentialSpec {
        // Before anything else: a plaintext secret is refused whatever the type says.
        try object.refuseUnknown(allFields, what: "connector credentials", checkPlaintextSecrets: true)
        let type = try object.string("type")
        switch type {
        case "accessKey":
            try object.refuseUnknown(accessKeyFields, what: "accessKey credentials", checkPlaintextSecrets: false)
            return .accessKey(try AccessKeyCredentials.decode(object))
        case "instanceRole":
            try object.refuseUnknown(instanceRoleFields, what: "instanceRole credentials", checkPlaintextSecrets: false)
            return .instanceRole
        case "assumeRole":
            try object.refuseUnknown(assumeRoleFields, what: "assumeRole credentials", checkPlaintextSecrets: false)
            return .assumeRole(try AssumeRoleCredentials.decode(object))
        default:
            throw .invalid(
                "connector.credentials.type \(DelegateConfiguration.quoted(type)) is not known; "
                    + "the types are accessKey, instanceRole, assumeRole")
        }
    }
}

extension AccessKeyCredentials {
    static func decode(_ object: TaskObject) throws(TaskProblem) -> AccessKeyCredentials {
        let keyID: KeyID
        switch (try object.optionalString("accessKeyId"), try object.optionalString("accessKeyIdRef")) {
        case (.some, .some):
            throw .invalid("connector.credentials: give either accessKeyId or accessKeyIdRef, not both")
        case (.some(let plain), .none):
            guard AccessKeyCredentials.isValidKeyID(plain) else {
                throw .invalid(
                    "connector.credentials.accessKeyId must be 1-128 letters and digits, not 40 with a lowercase letter "
                        + "(a secret key's shape)")
            }
            keyID = .plain(plain)
        case (.none, .some(let ref)):
            try validateRef(ref, field: object.label("accessKeyIdRef"))
            keyID = .ref(ref)
        case (.none, .none):
            throw .invalid("connector.credentials.accessKeyId or connector.credentials.accessKeyIdRef is required")
        }
        let secretRef = try object.string("secretAccessKeyRef")
        try validateRef(secretRef, field: object.label("secretAccessKeyRef"))
        let tokenRef = try object.optionalString("sessionTokenRef")
        if let tokenRef { try validateRef(tokenRef, field: object.label("sessionTokenRef")) }
        return AccessKeyCredentials(accessKeyID: keyID, secretAccessKeyRef: secretRef, sessionTokenRef: tokenRef)
    }

    /// The ref's value is not quoted: someone may have pasted the secret itself into it. `field`
    /// is built only for the message (every task with an access key checks two refs).
    private static func validateRef(_ ref: String, field: @autoclosure () -> String) throws(TaskProblem) {
        // A name that can only ever be a file directly inside a credential directory.
        guard CredentialRefStore.isValidName(ref) else {
            throw .invalid(
                "\(field()) must be a credential name of 1-128 characters of A-Za-z0-9_.- (not '.' or '..')")
        }
    }
}

extension AssumeRoleCredentials {
    /// Reads the fields, then holds them to `validate()`, the one set of rules STS imposes.
    static func decode(_ object: TaskObject) throws(TaskProblem) -> AssumeRoleCredentials {
        let role = AssumeRoleCredentials(
            roleARN: try object.string("roleArn"),
            externalID: try object.optionalString("externalId"),
            durationSeconds: try durationSeconds(object) ?? defaultDurationSeconds)
        do {
            try role.validate()
        } catch {
            throw .invalid(error.message(label: object.label))
        }
        return role
    }

    private static func durationSeconds(_ object: TaskObject) throws(TaskProblem) -> Int? {
        do {
            return try object.optionalInt("durationSeconds", range: Int.min...Int.max)
        } catch {
            throw .invalid(error.message + " (STS allows 900 seconds to 12 hours)")
        }
    }
}
