import Foundation
import Testing

@testable import Delegate

/// The configuration file the package installs says what it holds: its commented-out keys are the
/// defaults but for the four its header names, and its examples, uncommented, work together.
@Suite struct PackagedConfigurationTests {
    static let text: String = {
        let file = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/delegate.toml")
        return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }()

    /// The packaged file with its commented-out keys and tables (`#key = `, `#[`) uncommented,
    /// up to the line that starts with `stop` (or all of it). Help lines (`# ...`, `## ...`) stay.
    static func uncommented(until stop: String? = nil) -> String {
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let stop, line.hasPrefix(stop) { break }
            let isSetting =
                line.hasPrefix("#[") || (line.hasPrefix("#") && line.dropFirst().first.map { $0.isLetter } == true)
            lines.append(isSetting ? line.dropFirst() : line)
        }
        return lines.joined(separator: "\n")
    }

    static func packagedDefaults() -> DelegateConfiguration {
        var expected = DelegateConfiguration(hostName: "h")
        expected.queue.credentialsSocketPath = "/run/secrets-delegate/credentials.sock"
        return expected
    }

    @Test func asShippedItIsTheDefaultsWithTheCredentialsSocketSet() throws {
        #expect(Self.text.contains("credentials_socket_path = "), "packaging/delegate.toml was read")
        let loaded = try DelegateConfiguration.load(tomlText: Self.text, environment: [:], hostName: "h")
        #expect(loaded == Self.packagedDefaults())
    }

    @Test func itsCommentedKeysAreTheDefaultsButTheFourItsHeaderNames() throws {
        let fixedSections = Self.uncommented(until: "# Named connectors")
        #expect(fixedSections.contains("\nconcurrency = 16"), "\(fixedSections)")
        let loaded = try DelegateConfiguration.load(tomlText: fixedSections, environment: [:], hostName: "h")
        var expected = Self.packagedDefaults()
        expected.delegate.name = "build-host-1"
        expected.delegate.allowInlineConnectors = false
        expected.sqs.queueURLs = ["https://sqs.eu-west-1.amazonaws.com/123456789012/secrets-tasks-prod"]
        #expect(loaded == expected)
    }

    /// Its connector and `[[credential]]` examples, uncommented with everything else, load: the
    /// entry's unit is one the connector admits.
    @Test func itsExamplesUncommentedWorkTogether() throws {
        let everything = Self.uncommented()
        #expect(everything.contains("\n[connectors.ci-read]") && everything.contains("\n[[credential]]"))
        let loaded = try DelegateConfiguration.load(tomlText: everything, environment: [:], hostName: "h")
        #expect(loaded.connectors.keys.sorted() == ["ci-read"])
        #expect(loaded.credentialMappings.map(\.unit) == ["app.service"])
    }
}
