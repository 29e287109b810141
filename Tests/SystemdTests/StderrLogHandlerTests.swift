import Foundation
import Logging
import Testing

@testable import Systemd

@Suite struct StderrLogHandlerTests {
    @Test func formatsOneReadableLine() {
        let line = StderrLogHandler.format(
            timestamp: Date(timeIntervalSince1970: 1_795_289_806.25),
            level: .warning,
            label: "delegate.spool",
            message: "task failed",
            metadata: ["task_id": "abc", "error_code": "AccessDenied", "event": "task-failed"]
        )
        #expect(
            line
                == "2026-11-21T19:36:46.250Z warning delegate.spool: task failed error_code=AccessDenied event=task-failed task_id=abc"
        )
    }

    @Test func escapesSoEveryRecordIsOneLine() {
        let line = StderrLogHandler.format(
            timestamp: Date(timeIntervalSince1970: 0),
            level: .info,
            label: "l",
            message: "two\nlines\tand \\ backslash",
            metadata: ["path": "/a b/c", "quote": "say \"hi\"", "empty": "", "eq": "a=b", "nl": "x\ny"]
        )
        #expect(!line.contains("\n"))
        #expect(
            line
                == #"1970-01-01T00:00:00.000Z info l: two\nlines\tand \\ backslash empty="" eq="a=b" nl="x\ny" path="/a b/c" quote="say \"hi\"""#
        )
    }

    /// A value from elsewhere can neither end its own quoting early nor pass for another pair: a
    /// logfmt reader (a quoted value ends at the first `"` not escaped by a backslash; `\\` is a
    /// backslash) reads back exactly the pairs logged, whatever backslashes and quotes they hold.
    @Test(arguments: [
        #"a\"#, #"a\" forged=1"#, #"\\" forged="1"#, #"x" y="z"#, #"\"#, #"a\b"#, #"\\\"#, #"=\""#,
        #"" task_id=other"#, "tab\t\\\"end",
    ])
    func aValueReadsBackAsItselfAndNothingMore(value: String) throws {
        let line = StderrLogHandler.format(
            timestamp: Date(timeIntervalSince1970: 0), level: .info, label: "l", message: "m",
            metadata: ["a": "first", "v": .string(value), "z": "last"])
        let pairs = try #require(Self.logfmtPairs(after: "info l: m ", in: line), "\(line)")
        #expect(pairs.map(\.key) == ["a", "v", "z"], "\(line)")
        #expect(pairs.map(\.value) == ["first", value, "last"], "\(line)")
    }

    /// A producer's text in the message (a task's unknown key) reads as no pair: the message is
    /// quoted when it holds `=` or `"`, and the record's own pairs follow it alone.
    @Test(arguments: [#"x task_id=victim event=task-succeeded is not a field"#, #"a "quoted" task_id=victim"#, #"unknown key "x"#])
    func aMessageHoldingPairsIsQuoted(text: String) throws {
        let line = StderrLogHandler.format(
            timestamp: Date(timeIntervalSince1970: 0), level: .warning, label: "l", message: "task rejected: " + text,
            metadata: ["task_id": "t1"])
        let quoted = "\"task rejected: " + text.replacingOccurrences(of: "\"", with: #"\""#) + "\""
        #expect(line.hasSuffix("warning l: " + quoted + " task_id=t1"), "\(line)")
        let pairs = try #require(Self.logfmtPairs(after: quoted + " ", in: line), "\(line)")
        #expect(pairs.map(\.key) == ["task_id"] && pairs.map(\.value) == ["t1"], "\(line)")
        let plain = StderrLogHandler.format(
            timestamp: Date(timeIntervalSince1970: 0), level: .info, label: "l", message: "task succeeded", metadata: [:])
        #expect(plain.hasSuffix("info l: task succeeded"), "a message without = or \" reads as it is: \(plain)")
    }

    /// The `key=value` pairs after `prefix`, as a logfmt reader takes them: nil if the text is not
    /// pairs. Quoted values unescape `\\` and `\"`; an unquoted value ends at a space and has its
    /// `\\` unescaped (the other escapes are not used by these tests' values).
    static func logfmtPairs(after prefix: String, in line: String) -> [(key: String, value: String)]? {
        guard let start = line.range(of: prefix) else { return nil }
        var rest = Substring(line[start.upperBound...])
        var pairs: [(key: String, value: String)] = []
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = String(rest[..<equals])
            guard !key.isEmpty, !key.contains(" "), !key.contains("\"") else { return nil }
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\", let next = rest.first {
                        value.append(next == "n" ? "\n" : next == "t" ? "\t" : next)
                        rest = rest.dropFirst()
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                var raw = rest[..<end]
                while let slash = raw.range(of: "\\\\") {
                    value += raw[..<slash.lowerBound] + "\\"
                    raw = raw[slash.upperBound...]
                }
                value += raw
                rest = rest[end...]
            }
            pairs.append((key, value))
            if rest.first == " " { rest = rest.dropFirst() } else if !rest.isEmpty { return nil }
        }
        return pairs
    }

    /// A C1 code (a terminal's CSI) or a bidirectional override in a message or a value is shown
    /// escaped, as everywhere else text from elsewhere is shown: it can neither drive the
    /// terminal nor reorder what a reader sees.
    @Test func escapesC1CodesAndBidirectionalOverrides() {
        let line = StderrLogHandler.format(
            timestamp: Date(timeIntervalSince1970: 0), level: .info, label: "l",
            message: "name \u{202E}txt.exe", metadata: ["secret": "a\u{9B}2Jb", "plain": "é"])
        #expect(line == #"1970-01-01T00:00:00.000Z info l: name \u{202e}txt.exe plain=é secret="a\u{9b}2Jb""#)
    }

    @Test func laterMetadataWinsAndKeysAreWrittenOnceInOrder() {
        let provider = Logger.MetadataProvider { ["shared": "provider", "p": "x"] }
        let entries = Logger.Metadata.entries(
            handler: ["shared": "handler", "h": "1", "task_id": "handler"], provider: provider,
            call: ["task_id": "call", "c": "2"])
        #expect(entries.map(\.key) == ["c", "h", "p", "shared", "task_id"], "each key once, sorted: \(entries)")
        #expect(entries.map(\.value) == ["2", "1", "x", "provider", "call"])
        let line = String(
            decoding: StderrLogHandler.bytes(
                timestamp: Date(timeIntervalSince1970: 0), level: .info, label: "l", message: "m", entries: entries),
            as: UTF8.self)
        #expect(line == #"1970-01-01T00:00:00.000Z info l: m c=2 h=1 p=x shared=provider task_id=call"#)
        #expect(Logger.Metadata.entries(handler: [:], provider: nil, call: nil).isEmpty)
        #expect(Logger.Metadata.entries(handler: ["a": "1"], provider: nil, call: nil).map(\.value) == ["1"])
        struct Thrown: Error, CustomStringConvertible { var description: String { "thrown" } }
        let withError = Logger.Metadata.entries(
            handler: ["error": "from metadata"], provider: nil, call: ["b": "2"], error: Thrown())
        #expect(withError.filter { $0.key == "error" }.map(\.value) == ["thrown"], "the thrown error wins, once")
        #expect(withError.map(\.key) == ["b", "error"])
        let callOverHandler = Logger.Metadata.entries(
            handler: ["k": "handler", "z": "1"], provider: nil, call: ["k": "call", "a": "0"])
        #expect(callOverHandler.map(\.key) == ["a", "k", "z"])
        #expect(callOverHandler.map(\.value) == ["0", "call", "1"])
        let threeTimes = Logger.Metadata.entries(
            handler: ["k": "handler", "a": "h"], provider: Logger.MetadataProvider { ["k": "provider", "a": "p"] },
            call: ["k": "call"], error: Thrown())
        #expect(threeTimes.map(\.key) == ["a", "error", "k"])
        #expect(threeTimes.map(\.value) == ["p", "thrown", "call"])
    }
}
