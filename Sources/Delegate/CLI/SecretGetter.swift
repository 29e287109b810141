import DelegateClient
import Foundation

/// `secrets-delegate get` and the fetching half of `exec` (docs/INTERFACE.md section 10), with
/// `Data` values: ``SecretFetcher``, which the front binary uses itself, so both binaries fetch
/// and report the same way.
public struct SecretGetter: Sendable {
    public typealias Version = SecretFetcher.Version
    public typealias Failure = SecretFetcher.Failure

    /// What `get` produced: the exact bytes for stdout, one line for stderr, the exit status.
    public struct Outcome: Sendable, Equatable {
        public var output: Data
        public var errorOutput: String
        public var status: Int32
    }

    private let fetcher: SecretFetcher

    public var socketPath: String { fetcher.socketPath }

    public init(socketPath: String, timeout: Duration = .seconds(120)) {
        fetcher = SecretFetcher(socketPath: socketPath, timeout: timeout)
    }

    /// `get`: the value's bytes (no newline added), or with `json` the whole result line and a
    /// newline. On failure nothing goes to stdout.
    public func get(connector: String, name: String, version: Version = .current, json: Bool = false) -> Outcome {
        let outcome = fetcher.get(connector: connector, name: name, version: version, json: json)
        return Outcome(output: Data(outcome.output), errorOutput: outcome.errorOutput, status: outcome.status)
    }

    /// The value of `connector`'s secret `name` (`NAME#KEY` picks one field): a string's UTF-8
    /// bytes or a binary secret's raw bytes.
    public func value(connector: String, name: String, version: Version = .current) throws(Failure) -> Data {
        Data(try fetcher.value(connector: connector, name: name, version: version))
    }

    /// The task line `get` sends: the id, the connector by name, and the params.
    static func task(id: String, connector: String, name: String, version: Version) -> Data {
        Data(SecretFetcher.task(id: id, connector: connector, name: name, version: version))
    }
}
