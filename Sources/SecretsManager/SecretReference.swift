import FoundationEssentials
import SafeText

/// A secret as a task names it: the name relative to the connector's prefix, the full AWS name
/// (or ARN) that calls use, and an optional JSON field key (`name#key`, getSecretValue only).
///
/// Pure name logic with no dependencies beyond Foundation, so the Secrets Manager code can share
/// one definition of "prefix/name", "ARNs are used as is" and "what is a valid name".
public struct SecretReference: Sendable, Hashable {
    /// The name as the task gave it, without any `#key` suffix.
    public let name: String
    /// The name AWS sees: `prefix/name`, or the ARN as is.
    public let fullName: String
    /// The JSON field to pick out of the secret (`db#password` gives `password`).
    public let jsonKey: String?

    /// Longest full name Secrets Manager accepts.
    public static let maximumNameLength = 512
    /// Longest ARN accepted (AWS allows 2048 for `SecretId`).
    public static let maximumARNLength = 2048

    /// Resolves `reference` under `prefix`, validating the full name before any AWS call.
    ///
    /// - Parameters:
    ///   - reference: the task's name, possibly ending in `#key`.
    ///   - prefix: the connector's `secretNamePrefix`, raw (slashes are stripped here).
    ///   - allowJSONKey: whether `#key` is permitted (true only for getSecretValue).
    ///   - allowManaged: whether the name may be one of a secret another AWS service manages
    ///     (``managedNameMark``; true only for the operations that read).
    public init(
        parsing reference: String, prefix: String, allowJSONKey: Bool, allowManaged: Bool = false
    ) throws(SecretNameError) {
        var name = reference
        var jsonKey: String? = nil
        // By scalar: `#` followed by a combining mark is one Character, which a search by
        // Character would not find.
        if let hash = reference.unicodeScalars.firstIndex(of: "#") {
            guard allowJSONKey else {
                throw SecretNameError(
                    "secret name \(SecretReference.quoted(reference)) contains '#': picking a JSON field with "
                        + "'#key' is only allowed for getSecretValue")
            }
            name = String(reference.unicodeScalars[..<hash])
            let key = String(reference.unicodeScalars[reference.unicodeScalars.index(after: hash)...])
            guard !key.isEmpty else {
                throw SecretNameError(
                    "secret name \(SecretReference.quoted(reference)) ends in '#' but names no JSON field after it")
            }
            jsonKey = key
        }
        guard !name.isEmpty else {
            throw SecretNameError("secret name is empty")
        }
        let fullName = try SecretReference.resolve(prefix: prefix, name: name, allowManaged: allowManaged)
        self.name = name
        self.fullName = fullName
        self.jsonKey = jsonKey
    }

    /// The connector prefix with leading and trailing `/` removed.
    public static func normalizedPrefix(_ prefix: String) -> String {
        // Most prefixes have no slash to trim, and a first or last character of `/` is a first
        // or last byte of `/`: checked by byte, since every task's connector is normalized.
        guard prefix.utf8.first == UInt8(ascii: "/") || prefix.utf8.last == UInt8(ascii: "/") else { return prefix }
        var scalars = Substring(prefix)
        while scalars.first == "/" { scalars = scalars.dropFirst() }
        while scalars.last == "/" { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// The AWS name for `name` under `prefix`: an ARN as is, otherwise `prefix/name`
    /// (or just `name` when the prefix is empty).
    public static func fullName(prefix: String, name: String) -> String {
        if isARN(name) { return name }
        let normalized = normalizedPrefix(prefix)
        return normalized.isEmpty ? name : normalized + "/" + name
    }

    /// The AWS name for `name` under `prefix`, checked: a valid full name (with `allowManaged`,
    /// also a managed secret's), and an ARN only if the secret it names is under the prefix. A
    /// connector's prefix fences its tasks in: an ARN is no way around it.
    public static func resolve(prefix: String, name: String, allowManaged: Bool = false) throws(SecretNameError)
        -> String
    {
        let full = fullName(prefix: prefix, name: name)
        try validate(fullName: full, allowManaged: allowManaged)
        let normalized = normalizedPrefix(prefix)
        if !normalized.isEmpty, isARN(full) {
            // Validated: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>.
            let secretName = full.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)[6]
            // By bytes, as AWS compares names: `hasPrefix` takes canonically equivalent characters
            // for equal (a Kelvin sign for a K), and a caller may skip the prefix's validation.
            guard secretName.utf8.starts(with: (normalized + "/").utf8) else {
                throw SecretNameError(
                    "secret ARN \(quoted(full)) names a secret outside the connector's prefix "
                        + "\(quoted(normalized + "/")); under a prefix an ARN must name a secret in it")
            }
        }
        return full
    }

    /// The name relative to `prefix`, for results: `devops/db` under `devops` is `db`. A name
    /// outside the prefix (or an ARN) is returned unchanged.
    public static func relativeName(fullName: String, prefix: String) -> String {
        let normalized = normalizedPrefix(prefix)
        guard !normalized.isEmpty else { return fullName }
        // Names and prefixes are ASCII (the name rule): compared by byte, every result names its
        // secret relative to the connector's prefix.
        if fullName.utf8.allSatisfy({ $0 < 0x80 }), normalized.utf8.allSatisfy({ $0 < 0x80 }) {
            let name = fullName.utf8
            let head = normalized.utf8
            guard name.count > head.count + 1, name.starts(with: head) else { return fullName }
            let slash = name.index(name.startIndex, offsetBy: head.count)
            guard name[slash] == UInt8(ascii: "/") else { return fullName }
            return String(fullName[name.index(after: slash)...])
        }
        let head = normalized + "/"
        guard fullName.hasPrefix(head), fullName.count > head.count else { return fullName }
        return String(fullName.dropFirst(head.count))
    }

    /// Whether `name` is a Secrets Manager ARN (`arn:<partition>:secretsmanager:...`).
    public static func isARN(_ name: String) -> Bool {
        guard name.hasPrefix("arn:") else { return false }
        let parts = name.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        return parts.count == 4 && parts[1].hasPrefix("aws") && parts[2] == "secretsmanager"
    }

    /// The character only the names of secrets other AWS services create and manage have
    /// (`rds!db-<id>`, `rds!cluster-<id>`, `events!connection/<name>`): such a secret is read like
    /// any other, but changed only through the service that manages it.
    public static let managedNameMark: Unicode.Scalar = "!"

    /// Checks a connector's prefix (normalized): the beginning of full names, so a name's own
    /// characters, never an ARN (`arn:...:secret:team` would pass as an ARN, and then no name
    /// under it could: every task refused as outside the prefix).
    public static func validate(prefix: String) throws(SecretNameError) {
        if isARN(prefix) {
            throw SecretNameError(
                "\(quoted(prefix)) is an ARN; a prefix is the beginning of secret names (such as team or team/app)")
        }
        try validate(fullName: prefix)
    }

    /// Checks a full name: 1-512 characters of `A-Za-z0-9/_+=.@-` (with `allowManaged`, also
    /// ``managedNameMark``), or a well-formed ARN of such a name.
    public static func validate(fullName: String, allowManaged: Bool = false) throws(SecretNameError) {
        if isARN(fullName) {
            try validateARN(fullName, allowManaged: allowManaged)
            return
        }
        let count = fullName.utf8.count
        guard count >= 1 else { throw SecretNameError("secret name is empty") }
        // The characters first: every allowed one is one byte, so the length then counts characters.
        if let problem = characterProblem(in: fullName.unicodeScalars, allowManaged: allowManaged) {
            throw SecretNameError("secret name \(quoted(fullName)) \(problem)")
        }
        guard count <= maximumNameLength else {
            throw SecretNameError(
                "secret name \(quoted(fullName)) is \(count) characters long; the limit is \(maximumNameLength)")
        }
    }

    private static func validateARN(_ arn: String, allowManaged: Bool) throws(SecretNameError) {
        // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>
        let parts = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        // By byte: a Character check would let a digit with a combining mark pass for a digit.
        func lower(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) }
        func digit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        let partitionOK = parts.count == 7 && parts[1].utf8.allSatisfy { $0 == UInt8(ascii: "-") || lower($0) }
        let regionOK =
            parts.count == 7 && !parts[3].isEmpty
            && parts[3].utf8.allSatisfy { $0 == UInt8(ascii: "-") || lower($0) || digit($0) }
        let accountOK = parts.count == 7 && parts[4].utf8.count == 12 && parts[4].utf8.allSatisfy(digit)
        guard partitionOK, regionOK, accountOK, parts[5] == "secret", !parts[6].isEmpty else {
            throw SecretNameError(
                "secret ARN \(quoted(arn)) is malformed; expected arn:<partition>:secretsmanager:<region>:<12-digit account>:secret:<name>"
            )
        }
        guard arn.utf8.count <= maximumARNLength else {
            throw SecretNameError("secret ARN is longer than \(maximumARNLength) characters")
        }
        if let problem = characterProblem(in: parts[6].unicodeScalars, allowManaged: allowManaged) {
            throw SecretNameError("secret ARN \(quoted(arn)) \(problem)")
        }
    }

    /// What is wrong with a name's characters, nil if nothing.
    private static func characterProblem(
        in scalars: some Sequence<Unicode.Scalar>, allowManaged: Bool
    ) -> String? {
        guard let bad = scalars.first(where: { !isNameCharacter($0) && !(allowManaged && $0 == managedNameMark) })
        else {
            return nil
        }
        if bad == managedNameMark {
            return "contains '!', which only the names of secrets another AWS service manages have (rds!db-...); "
                + "such a secret is only read here (getSecretValue, describeSecret, listSecretVersionIds) and changed "
                + "through the service that manages it"
        }
        return "contains \(describe(bad)); allowed are letters, digits and /_+=.@-"
    }

    public static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "/", "_", "+", "=", ".", "@", "-": true
        default: false
        }
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar.value < 0x20 || scalar.value == 0x7F || scalar == " " || scalar == "'" || scalar == "\\"
            || scalar.value > 0x7E
        {
            return "the character U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        }
        return "'\(Character(scalar))'"
    }

    /// A name for a message: in single quotes, shown as ``ShownText`` shows text (control
    /// characters and bidirectional overrides escaped), cut at 128 characters.
    static func quoted(_ name: String) -> String {
        ShownText.quoted(name, mark: "'", limit: 128)
    }
}

/// Why a secret name was refused (reported as `InvalidSecretName`). Names are not secret, so the
/// message may quote them; it never holds a secret value.
public struct SecretNameError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
