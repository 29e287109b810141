import AWSCredentials

extension ConnectorCredentials {
    static func decode(_ object: TaskObject) throws(TaskProblem) -> ConnectorCredentials {
        // Before anything else: a plaintext secret is refused whatever the type says.
        let allFields: Set<String> = [
            "type", "accessKeyId", "accessKeyIdRef", "secretAccessKeyRef", "sessionTokenRef", "roleArn",
            "externalId", "durationSeconds",
        ]
        try object.refuseUnknown(allFields, what: "connector credentials", checkPlaintextSecrets: true)
        let type = try object.string("type")
        switch type {
        case "accessKey":
            try object.refuseUnknown(
                ["type", "accessKeyId", "accessKeyIdRef", "secretAccessKeyRef", "sessionTokenRef"],
                what: "accessKey credentials", checkPlaintextSecrets: false)
            return .accessKey(try AccessKeyCredentials.decode(object))
        case "instanceRole":
            try object.refuseUnknown(["type"], what: "instanceRole credentials", checkPlaintextSecrets: false)
            return .instanceRole
        case "assumeRole":
            try object.refuseUnknown(
                ["type", "roleArn", "externalId", "durationSeconds"], what: "assumeRole credentials",
                checkPlaintextSecrets: false)
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
            guard (1...128).contains(plain.utf8.count), plain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else {
                throw .invalid("connector.credentials.accessKeyId must be 1-128 letters and digits")
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

    /// Whether `ref` is a credential name `[A-Za-z0-9_.-]{1,128}` other than `.` and `..`, so it
    /// can only ever name a file directly inside a credential directory.
    public static func isValidRef(_ ref: String) -> Bool {
        CredentialRefStore.isValidName(ref)
    }

    /// The ref's value is not quoted: someone may have pasted the secret itself into it.
    private static func validateRef(_ ref: String, field: String) throws(TaskProblem) {
        guard isValidRef(ref) else {
            throw .invalid(
                "\(field) must be a credential name of 1-128 characters of A-Za-z0-9_.- (no '/' and no '..')")
        }
    }
}

extension AssumeRoleCredentials {
    static func decode(_ object: TaskObject) throws(TaskProblem) -> AssumeRoleCredentials {
        let arn = try object.string("roleArn")
        guard isValidRoleARN(arn) else {
            throw .invalid(
                "connector.credentials.roleArn is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
        }
        let externalID = try object.optionalString("externalId")
        if let externalID {
            guard externalIDLength.contains(externalID.utf8.count) else {
                throw .invalid(
                    "connector.credentials.externalId must be \(externalIDLength.lowerBound)-"
                        + "\(externalIDLength.upperBound) characters long, not \(externalID.utf8.count)")
            }
            guard externalID.unicodeScalars.allSatisfy(isExternalIDScalar) else {
                throw .invalid("connector.credentials.externalId may only contain letters, digits and +=,.@:/-_")
            }
        }
        let duration = try durationSeconds(object) ?? defaultDurationSeconds
        return AssumeRoleCredentials(roleARN: arn, externalID: externalID, durationSeconds: duration)
    }

    private static func durationSeconds(_ object: TaskObject) throws(TaskProblem) -> Int? {
        do {
            return try object.optionalInt("durationSeconds", range: durationRange)
        } catch {
            throw .invalid(error.message + " (STS allows 900 seconds to 12 hours)")
        }
    }

    /// `arn:aws[-partition]:iam::<12 digits>:role/[path/]name`.
    public static func isValidRoleARN(_ arn: String) -> Bool {
        guard arn.utf8.count <= 2048 else { return false }
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"),
            parts[1].allSatisfy({ $0 == "-" || ("a"..."z").contains($0) }),
            parts[2] == "iam", parts[3].isEmpty,
            parts[4].count == 12, parts[4].allSatisfy({ ("0"..."9").contains($0) }),
            parts[5].hasPrefix("role/")
        else { return false }
        let resource = parts[5].dropFirst("role/".count)
        guard let name = resource.split(separator: "/", omittingEmptySubsequences: false).last,
            (1...64).contains(name.count)
        else { return false }
        return resource.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "+", "=", ",", ".", "@", "_", "-", "/": true
            default: false
            }
        }
    }

    static func isExternalIDScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "+", "=", ",", ".", "@", ":", "/", "-", "_": true
        default: false
        }
    }
}
