/// The name of one of the operations of `OperationRegistry.all` (each operation's file declares
/// its static member, e.g. `OperationName.getSecretValue`).
public struct OperationName: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    /// Only a known operation's name.
    public init?(rawValue: String) {
        guard let known = Self.byName[rawValue] else { return nil }
        self = known
    }

    private static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// For an operation's own file.
    init(declaring rawValue: String) {
        self.rawValue = rawValue
    }

    /// Every operation, in the order of the spec's table.
    public static let allCases: [OperationName] = OperationRegistry.all.map { $0.name }

    public var description: String { rawValue }
}
