extension AssumeRoleCredentials {
    /// Why STS would refuse a role's parameters. The message names the field by `label` and
    /// never quotes a value.
    public enum Problem: Error, Equatable, Sendable {
        case roleARN
        /// An ARN with white space around it (pasted so).
        case roleARNSpaced
        case externalIDLength(Int)
        case externalIDCharacters
        case durationSeconds(Int)

        /// The field at fault: `roleArn`, `externalId` or `durationSeconds`.
        public var field: String {
            switch self {
            case .roleARN, .roleARNSpaced: "roleArn"
            case .externalIDLength, .externalIDCharacters: "externalId"
            case .durationSeconds: "durationSeconds"
            }
        }

        /// The message, the field spelled by `label` (e.g. `connector.credentials.roleArn`).
        public func message(label: (String) -> String = { $0 }) -> String {
            let name = label(field)
            let length = AssumeRoleCredentials.externalIDLength
            let duration = AssumeRoleCredentials.durationRange
            switch self {
            case .roleARN:
                return
                    "\(name) is not an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>, the partition aws, aws-cn, aws-us-gov, ...)"
            case .roleARNSpaced:
                return "\(name) begins or ends with white space (a space or a line break pasted with it): remove it"
            case .externalIDLength(let given):
                return "\(name) must be \(length.lowerBound)-\(length.upperBound) characters long, not \(given)"
            case .externalIDCharacters:
                return "\(name) may only contain ASCII letters, digits and +=,.@:/-_"
            case .durationSeconds(let seconds):
                return "\(name) must be between \(duration.lowerBound) and \(duration.upperBound), not \(seconds) "
                    + "(STS allows 900 seconds to 12 hours)"
            }
        }
    }

    /// Checks the role ARN, the external ID and the duration, in that order.
    public func validate() throws(Problem) {
        guard Self.isValidRoleARN(roleARN) else {
            // Said without quoting the value: white space around an ARN pasted from a console is
            // the one fault its shape does not show.
            throw roleARN.unicodeScalars.first.map(Self.isWhiteSpace) == true
                || roleARN.unicodeScalars.last.map(Self.isWhiteSpace) == true ? .roleARNSpaced : .roleARN
        }
        if let externalID {
            // The characters first: the length counts bytes, and only ASCII is allowed.
            guard externalID.unicodeScalars.allSatisfy(Self.isExternalIDScalar) else { throw .externalIDCharacters }
            guard Self.externalIDLength.contains(externalID.utf8.count) else {
                throw .externalIDLength(externalID.utf8.count)
            }
        }
        guard Self.durationRange.contains(durationSeconds) else { throw .durationSeconds(durationSeconds) }
    }

    /// `arn:aws[-partition]:iam::<12 digits>:role/[path/]name`.
    public static func isValidRoleARN(_ arn: String) -> Bool {
        guard arn.utf8.count <= 2048 else { return false }
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"),
            // By byte: a Character check would let a letter or digit with a combining mark pass.
            parts[1].utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
            ),
            parts[2] == "iam", parts[3].isEmpty,
            parts[4].utf8.count == 12,
            parts[4].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            parts[5].hasPrefix("role/")
        else { return false }
        // IAM's rules: a path of any printable ASCII but space (`!` to `~`, at most 512 with its
        // leading `/`, which the ARN leaves out), then a name of [A-Za-z0-9+=,.@_-], 1 to 64.
        let resource = parts[5].dropFirst("role/".count)
        guard let slash = resource.lastIndex(of: "/") else { return isRoleName(resource) }
        let path = resource[...slash]
        return path.utf8.count <= 511 && path.unicodeScalars.allSatisfy { ("!"..."~").contains($0) }
            && isRoleName(resource[resource.index(after: slash)...])
    }

    /// An IAM role name: 1-64 of `A-Za-z0-9+=,.@_-` (an ARN's last part, or IMDS's listing).
    static func isRoleName(_ name: Substring) -> Bool {
        (1...64).contains(name.unicodeScalars.count)
            && name.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "+", "=", ",", ".", "@", "_", "-": true
                default: false
                }
            }
    }

    private static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }

    static func isExternalIDScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "+", "=", ",", ".", "@", ":", "/", "-", "_": true
        default: false
        }
    }
}
