import FoundationEssentials
import DelegateClient

/// `secrets-delegate open --key KEYFILE [RESULT.json|-]`: prints a result with its `sealed`
/// replaced by the `result` it holds.
///
/// Exits 0 with the opened result (a result that is not sealed is printed as it is, with a
/// note on stderr); 1 with nothing on stdout if the sealed result does not authenticate under
/// the key and the result's task id; 64 if the key file or the input cannot be used; 69 if this
/// host's libcrypto failed.
public struct ResultOpener: Sendable {
    public var keyPath: String

    /// The longest input `open` reads: the longest result line the CLI's socket client takes
    /// (`LineSocketClient`'s default), far more than any result the delegate writes.
    public static let maximumInput = 64 << 20

    public init(keyPath: String) {
        self.keyPath = keyPath
    }

    /// - Parameter source: where `input` came from, for messages (a path; nil: standard input).
    public func open(_ input: Data, from source: String? = nil) -> CommandOutcome {
        let privateKey: [UInt8]
        switch ResultKeyFile.read(keyPath) {
        case .success(let key): privateKey = key
        case .failure(let error): return .failure(error.message, status: ExitStatus.usage)
        }
        let result: TaskResult
        do {
            result = try TaskResult.decode(jsonLine: input)
        } catch {
            return .failure(
                "\(source ?? "the input") is not a result (one JSON object as the delegate writes it): "
                    + TaskResult.readingProblem(error),
                status: ExitStatus.usage)
        }
        // Not sealed: the input as it came (members this version does not know, its layout), less
        // the line end `emit` writes again.
        let isLineEnd: (UInt8) -> Bool = { $0 == 0x0A || $0 == 0x0D }
        let text = String(decoding: input.reversed().drop(while: isLineEnd).reversed(), as: UTF8.self)
        return Self.outcome(opening: result, privateKey: privateKey, status: ExitStatus.success, unsealedText: text)
    }

    /// `result` opened and printed with `status`, or exit 1 and nothing on stdout if it does
    /// not authenticate.
    /// - Parameter requireSealed: the task asked for a sealed result (`submit --seal`): a result
    ///   carried in the clear is refused (exit 1, nothing on stdout) instead of printed, since the
    ///   delegate that sealed nothing, or whoever wrote it, is not the one that was asked.
    /// - Parameter unsealedText: what to print for a result that is not sealed (the input, as
    ///   it was); the result's own line if nil.
    static func outcome(
        opening result: TaskResult, privateKey: [UInt8], status: Int32, requireSealed: Bool = false,
        unsealedText: String? = nil
    ) -> CommandOutcome {
        guard result.sealed != nil else {
            if requireSealed {
                return .failure(
                    "the result was not sealed although the task asked for it; it is not printed",
                    status: ExitStatus.taskFailed)
            }
            return CommandOutcome(
                output: unsealedText ?? result.jsonLine, errorOutput: "secrets-delegate: note: the result is not sealed",
                status: status
            )
        }
        do {
            return CommandOutcome(output: try result.opened(privateKey: privateKey).jsonLine, status: status)
        } catch {
            return .failure(error.message, status: Self.status(for: error, requireSealed: requireSealed))
        }
    }

    /// The exit status for a sealed result that did not open. `open`: 1 only when it does not
    /// authenticate, 64 for a result it cannot use (another algorithm, a malformed `enc`);
    /// `submit --seal`: 1 for either (the delegate's answer). Both: 69 when this host's libcrypto
    /// failed, since the result and the key may be fine.
    static func status(for error: SealedResultError, requireSealed: Bool) -> Int32 {
        switch error.kind {
        case .hostFailure: ExitStatus.unavailable
        case .doesNotAuthenticate: ExitStatus.taskFailed
        case .unusable: requireSealed ? ExitStatus.taskFailed : ExitStatus.usage
        }
    }
}
