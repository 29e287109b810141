import AWSCore

/// A connector's secret name prefix, and the mapping between the names tasks use and the names
/// AWS stores.
///
/// Secrets Manager names are flat: the prefix `devops` makes `db` into `devops/db`. Leading and
/// trailing slashes of the prefix are dropped; an ARN is used as is. Full names are checked
/// (1-512 characters of `A-Za-z0-9/_+=.@-`) before any call, so a bad name never costs a
/// request or shows up in CloudTrail.
public struct SecretNamespace: Sendable, Equatable {
    public static let maxNameLength = 512

    /// The normalised prefix, without leading or trailing `/`; empty for none.
    public let prefix: String

    public init(prefix: String) {
        var value = Substring(prefix)
        while value.hasPrefix("/") { value = value.dropFirst() }
        while value.hasSuffix("/") { value = value.dropLast() }
        self.prefix = String(value)
    }

    /// The name AWS knows: `prefix/name`, or the ARN unchanged.
    public func fullName(for name: String) throws(AWSError) -> String {
        if Self.isARN(name) { return name }
        let full = prefix.isEmpty ? name : "\(prefix)/\(name)"
        try Self.validate(fullName: full)
        return full
    }

    /// The name relative to the prefix, as results report it.
    public func relativeName(for fullName: String) -> String {
        guard !prefix.isEmpty, fullName.hasPrefix(prefix + "/") else { return fullName }
        return String(fullName.dropFirst(prefix.count + 1))
    }

    public static func isARN(_ name: String) -> Bool {
        name.hasPrefix("arn:") && name.contains(":secretsmanager:")
    }

    public static func validate(fullName: String) throws(AWSError) {
        guard !fullName.isEmpty else {
            throw AWSError.validation("InvalidSecretName", "the secret name is empty")
        }
        guard fullName.utf8.count <= maxNameLength else {
            throw AWSError.validation(
                "InvalidSecretName",
                "the full secret name is \(fullName.utf8.count) characters; at most \(maxNameLength) are allowed"
            )
        }
        if let bad = fullName.unicodeScalars.first(where: { !isAllowed($0) }) {
            throw AWSError.validation(
                "InvalidSecretName",
                "the secret name '\(fullName)' contains '\(bad.escaped(asASCII: true))'; "
                    + "only letters, digits and /_+=.@- are allowed"
            )
        }
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "/", "_", "+", "=", ".", "@", "-": true
        default: false
        }
    }
}

/// A secret name that may end in `#key`, picking one field of a JSON secret.
public struct SecretReference: Sendable, Equatable {
    public var name: String
    public var field: String?

    public init(name: String, field: String?) {
        self.name = name
        self.field = field
    }

    /// Splits `db#password` into the name `db` and the field `password`. An ARN never contains
    /// `#`, so the split is unambiguous.
    public init(parsing text: String) {
        if let hash = text.lastIndex(of: "#") {
            name = String(text[..<hash])
            field = String(text[text.index(after: hash)...])
        } else {
            name = text
            field = nil
        }
    }
}
