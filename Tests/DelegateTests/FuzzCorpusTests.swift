import Foundation
import Testing

@testable import Delegate

/// The task decoder's fuzz seeds (`Fuzz/Corpus/FuzzTaskDecoder`) reach what they are there for:
/// libFuzzer mutates from them, and an operation no seed names is seldom found by chance (names
/// are looked up whole), so its parameter checks would go unfuzzed.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Corpus/FuzzTaskDecoder")

    @Test func everyOperationAndAReplyToHaveASeedTheDecoderTakes() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)
        let taken = try names.compactMap { name -> DelegateTask? in
            let data = try Data(contentsOf: Self.corpus.appendingPathComponent(name))
            return try? DelegateTask.decode(TaskDocument(data), defaultID: "seed")
        }
        let operations = Set(taken.map(\.operation.name))
        for operation in OperationName.allCases {
            #expect(operations.contains(operation), "no seed of \(operation) is taken")
        }
        #expect(taken.contains { $0.replyTo != nil }, "no seed with a replyTo is taken")
    }
}
