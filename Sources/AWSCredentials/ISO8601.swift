import Foundation

/// Parses the ISO 8601 timestamps IMDS and STS use (`2026-11-21T13:00:00Z`, with or without
/// fractional seconds).
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
