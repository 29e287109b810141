public import Logging
import Synchronization

/// The level the daemon's log handlers log from (`[delegate] log_level`), one for all of them:
/// every logger copies its handler, so a reload that changes the level changes this, which each
/// handler reads at every record (one atomic load).
public final class LogLevelSetting: Sendable {
    private let raw: Atomic<UInt8>

    public init(_ level: Logger.Level = .info) {
        raw = Atomic(Self.index(of: level))
    }

    public var level: Logger.Level {
        get { Self.level(raw.load(ordering: .relaxed)) }
        set { raw.store(Self.index(of: newValue), ordering: .relaxed) }
    }

    private static func index(of level: Logger.Level) -> UInt8 {
        switch level {
        case .trace: 0
        case .debug: 1
        case .info: 2
        case .notice: 3
        case .warning: 4
        case .error: 5
        case .critical: 6
        }
    }

    private static func level(_ index: UInt8) -> Logger.Level {
        switch index {
        case 0: .trace
        case 1: .debug
        case 2: .info
        case 3: .notice
        case 4: .warning
        case 5: .error
        default: .critical
        }
    }
}

/// A log handler's level: its own once one is set (`Logger.logLevel`'s setter, for that logger
/// alone), else the shared ``setting``'s, which a reload changes; without either, `info`.
public struct HandlerLevel: Sendable {
    public var setting: LogLevelSetting?
    private var own: Logger.Level?

    public init() {}

    public var value: Logger.Level {
        get { own ?? setting?.level ?? .info }
        set { own = newValue }
    }
}
