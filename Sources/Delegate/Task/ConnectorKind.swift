/// How a task gave its connector: by naming one of the host's (`named`, section 9), or as an
/// object of its own (`inline`). The journal's `CONNECTOR_KIND`.
public enum ConnectorKind: String, Sendable, CustomStringConvertible {
    case named
    case inline

    public var description: String { rawValue }
}
