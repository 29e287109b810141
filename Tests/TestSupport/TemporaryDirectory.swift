import Foundation

/// A fresh directory under the system temp dir, unique per instance, removed on `deinit`.
/// Tests run in parallel, so each one makes its own.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    /// - Parameter parent: where to make it (the system temp dir by default).
    public init(prefix: String = "secrets-delegate-test", in parent: URL = FileManager.default.temporaryDirectory) throws {
        url = parent.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
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
