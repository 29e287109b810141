public import Logging

extension Logger.Level {
    /// The syslog priority (0 emerg ... 7 debug) journald stores in `PRIORITY`, so that
    /// `journalctl -p warning` and friends work.
    ///
    /// swift-log has no emergency or alert; `trace` and `debug` both map to debug (7).
    public var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
