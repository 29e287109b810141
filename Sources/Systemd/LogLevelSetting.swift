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
        get { Logger.Level.allCases[Int(raw.load(ordering: .relaxed))] }
        set { raw.store(Self.index(of: newValue), ordering: .relaxed) }
    }

    private static func index(of level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }
}
