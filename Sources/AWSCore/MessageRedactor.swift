/// Makes text that came from AWS, or that mentions a request, safe for logs and results.
///
/// Some AWS endpoints explain a signature mismatch by quoting the canonical request and the
/// string to sign, which can contain a session token; those parts are cut. Any known secret
/// (secret key, session token, signature) still present is replaced, and the length is bounded.
public struct MessageRedactor: Sendable {
    public static let maxLength = 1024
    private static let cutMarkers = ["The Canonical String for this request", "The String-to-Sign should have been"]

    private let secrets: [String]

    public init(secrets: [String?]) {
        self.secrets = secrets.compactMap { $0 }.filter { $0.count >= 4 }
    }

    public func redact(_ message: String) -> String {
        var text = Substring(message)
        for marker in Self.cutMarkers {
            if let range = text.range(of: marker) { text = text[..<range.lowerBound] }
        }
        var result = String(text).trimmingTrailingWhitespace()
        for secret in secrets {
            result = result.replacingOccurrences(of: secret, with: "<redacted>")
        }
        if result.count > Self.maxLength {
            result = String(result.prefix(Self.maxLength)) + "..."
        }
        return result
    }
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var copy = self
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        return copy
    }

    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
