import Foundation

/// A fresh directory under the system temp dir, unique per instance, removed on `deinit`.
/// Tests run in parallel, so each one makes its own.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "secrets-delegate-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }
}
