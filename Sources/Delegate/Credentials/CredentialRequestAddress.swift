/// The address systemd's credential helper binds before it connects to the credentials socket
/// (docs/INTERFACE.md section 11), which is the whole request: the abstract name
/// `\0<random>/unit/<unit name>/<credential id>`, `<random>` being a 64-bit random number in
/// lowercase hex without leading zeros (`"@%" PRIx64 "/unit/%s/%s"` in systemd's
/// `load_credential()`), so 1-16 hex digits.
///
/// Parsing is strict: anything else (a path-bound or unbound peer, another shape, a bad unit name
/// or id, a NUL inside) is no request.
public struct CredentialRequestAddress: Sendable, Equatable {
    public let unit: String
    public let id: String

    public init(unit: String, id: String) {
        self.unit = unit
        self.id = id
    }

    /// Why an address is no credential request, for the log line (it never holds a secret, but
    /// it may hold whatever an unprivileged peer bound, so it is not quoted back).
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The peer is not bound to an abstract address (unbound, or bound to a path).
        case notAbstract
        /// An abstract address of another shape.
        case malformed
        case invalidUnit
        case invalidID

        public var description: String {
            switch self {
            case .notAbstract: "the peer is not bound to an abstract address"
            case .malformed: "the address is not \\0<hex>/unit/<unit>/<id>"
            case .invalidUnit: "the address names no valid unit"
            case .invalidID: "the address names no valid credential id"
            }
        }
    }

    /// Parses the peer's `sun_path` bytes as `getpeername(2)` reported them (the returned length
    /// minus the family field).
    public static func parse(_ sunPath: [UInt8]) throws(Problem) -> CredentialRequestAddress {
        guard sunPath.count > 1, sunPath[0] == 0 else { throw .notAbstract }
        let name = sunPath.dropFirst()
        guard !name.contains(0), let text = String(validating: name, as: UTF8.self) else { throw .malformed }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1] == "unit", (1...16).contains(parts[0].utf8.count),
            parts[0] == "0" || !parts[0].hasPrefix("0"),
            parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { throw .malformed }
        let unit = String(parts[2])
        let id = String(parts[3])
        guard NamedConnector.isUnitName(unit) else { throw .invalidUnit }
        guard CredentialMapping.isValidID(id) else { throw .invalidID }
        return CredentialRequestAddress(unit: unit, id: id)
    }

    /// The address's `sun_path` bytes for `random` (systemd's spelling), for tests and tools.
    public static func sunPath(random: UInt64, unit: String, id: String) -> [UInt8] {
        [0] + Array("\(String(random, radix: 16))/unit/\(unit)/\(id)".utf8)
    }
}
