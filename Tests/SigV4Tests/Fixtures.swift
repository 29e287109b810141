import Foundation
import SigV4
import Testing

/// Access to the copied AWS test vectors in `Fixtures/` (see `Fixtures/README.md`).
enum Fixtures {
    static let root: URL =
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Case folder names under `set` (a folder of `Fixtures/`), sorted; `[]` if unreadable
    /// (the tests then fail on their count checks).
    static func caseNames(in set: String) -> [String] {
        let folder = root.appendingPathComponent(set)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            let path = folder.appendingPathComponent(name).path
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relativePath))
    }

    static func text(_ relativePath: String) throws -> String {
        String(decoding: try data(relativePath), as: UTF8.self)
    }
}

/// `context.json` of a `v4/` case.
struct FixtureContext: Decodable {
    struct FixtureCredentials: Decodable {
        var accessKeyId: String
        var secretAccessKey: String
        var token: String?

        enum CodingKeys: String, CodingKey {
            case accessKeyId = "access_key_id"
            case secretAccessKey = "secret_access_key"
            case token
        }
    }

    var credentials: FixtureCredentials
    var region: String
    var service: String
    var timestamp: String
    var normalize: Bool
    var signBody: Bool
    var omitSessionToken: Bool?

    enum CodingKeys: String, CodingKey {
        case credentials, region, service, timestamp, normalize
        case signBody = "sign_body"
        case omitSessionToken = "omit_session_token"
    }

    static func load(_ relativePath: String) throws -> FixtureContext {
        try JSONDecoder().decode(FixtureContext.self, from: Fixtures.data(relativePath))
    }

    var date: Date {
        get throws { try Date(timestamp, strategy: .iso8601) }
    }

    var sigV4Credentials: Credentials {
        Credentials(
            accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.token)
    }

    var options: SigV4Options {
        SigV4Options(normalizePath: normalize, signBody: signBody, omitSessionToken: omitSessionToken ?? false)
    }
}

/// A request in the suite's plain-text form: request line (the target may contain a raw
/// space, as in `get-space-*`), header lines (a line starting with whitespace continues the
/// previous value), a blank line, then the body.
struct RawRequest {
    var method: String
    var path: String
    var query: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing bytes: [UInt8]) throws {
        var lines: [ArraySlice<UInt8>] = []
        var body: [UInt8] = []
        var start = 0
        var index = 0
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: "\n") {
                let line = bytes[start..<index]
                if line.isEmpty && !lines.isEmpty {
                    body = index < bytes.count ? Array(bytes[(index + 1)...]) : []
                    break
                }
                lines.append(line)
                start = index + 1
            }
            index += 1
        }
        guard let requestLine = lines.first.map({ String(decoding: $0, as: UTF8.self) }),
            let firstSpace = requestLine.firstIndex(of: " "),
            let versionSpace = requestLine.range(of: " HTTP/", options: .backwards)
        else { throw ParseError(description: "bad request line") }
        method = String(requestLine[..<firstSpace])
        let target = requestLine[requestLine.index(after: firstSpace)..<versionSpace.lowerBound]
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = String(target)
            query = ""
        }
        headers = []
        for line in lines.dropFirst() {
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                guard !headers.isEmpty else { throw ParseError(description: "continuation without header") }
                headers[headers.count - 1].value += "\n" + text
            } else if let colon = text.firstIndex(of: ":") {
                headers.append((name: String(text[..<colon]), value: String(text[text.index(after: colon)...])))
            } else {
                throw ParseError(description: "bad header line \(text)")
            }
        }
        self.body = body
    }

    var sigV4Request: SigV4Request {
        SigV4Request(method: method, path: path, query: query, headers: headers, payload: .bytes(body))
    }
}
