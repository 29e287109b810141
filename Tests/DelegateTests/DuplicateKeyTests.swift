import Foundation
import JSON
import Testing

@testable import Delegate

/// A key given twice in one object is refused wherever it is: JSONDecoder would silently keep
/// one value (the first), where the producer's tools may have meant the other.
@Suite struct DuplicateKeyTests {
    static let connector =
        #""connector":{"id":"awsSmProd","region":"us-east-1","credentials":{"type":"instanceRole"}}"#

    func rejection(_ text: String, defaultID: String? = nil) -> TaskRejection? {
        do {
            _ = try DelegateTask.decode(Data(text.utf8), defaultID: defaultID)
            return nil
        } catch {
            return error
        }
    }

    @Test func aDuplicatedOperationIsRefusedAndTheMessageNamesTheKeyNotAValue() throws {
        let text =
            #"{"id":"dup-op",\#(Self.connector),"operation":"getSecretValue","params":{"name":"db"},"#
            + #""operation":"deleteSecret"}"#
        let refused = try #require(rejection(text))
        #expect(refused.code == .invalidTask)
        #expect(
            refused.message
                == #""operation" is given more than once in the task; a key may appear only once in an object"#)
        #expect(!refused.message.contains("getSecretValue") && !refused.message.contains("deleteSecret"))
        #expect(refused.taskID == "dup-op")
        #expect(refused.operation == nil, "which operation was meant is unknown")
        #expect(refused.connectorID == "awsSmProd")
    }

    @Test func duplicatesAreFoundAtAnyDepthAndAfterUnescaping() throws {
        let nested =
            #"{"id":"n","connector":{"id":"c","region":"us-east-1","credentials":{"type":"assumeRole","#
            + #""roleArn":"arn:aws:iam::123456789012:role/a","roleArn":"arn:aws:iam::123456789012:role/b"}},"#
            + #""operation":"getSecretValue","params":{"name":"db"}}"#
        let inCredentials = try #require(rejection(nested))
        #expect(inCredentials.message.hasPrefix(#""roleArn" is given more than once in connector.credentials;"#))
        #expect(!inCredentials.message.contains("role/"))

        let escaped =
            #"{"id":"e",\#(Self.connector),"operation":"getSecretValue","params":{"name":"db","n\u0061me":"other"}}"#
        let inParams = try #require(rejection(escaped))
        #expect(inParams.message.hasPrefix(#""name" is given more than once in params;"#))
        #expect(!inParams.message.contains("other"))

        let inArray =
            #"{"id":"a",\#(Self.connector),"operation":"createSecret","params":{"name":"db","secretString":"s","#
            + #""tags":[{"key":"k","value":"v"},{"key":"k2","value":"v2","value":"CANARY"}]}}"#
        let inTags = try #require(rejection(inArray))
        #expect(inTags.message.hasPrefix(#""value" is given more than once in params.tags[1];"#))
        #expect(!inTags.message.contains("CANARY"))

        let twoIDs = #"{"id":"first","id":"second",\#(Self.connector),"operation":"testConnection"}"#
        let duplicatedID = try #require(rejection(twoIDs, defaultID: "file"))
        #expect(duplicatedID.taskID == "file", "neither id is trusted; the spool file's name names the result")
    }

    @Test func theKeyInTheMessageIsBoundedTo64Characters() throws {
        let key = String(repeating: "k", count: 500)
        let text = #"{"id":"long",\#(Self.connector),"operation":"testConnection","params":{"\#(key)":1,"\#(key)":2}}"#
        let refused = try #require(rejection(text))
        #expect(refused.message.hasPrefix("\"" + String(repeating: "k", count: 64) + "...\" is given more than once"))
        #expect(refused.message.count < 300)
    }

    @Test func theSameKeyInDifferentObjectsIsFine() throws {
        let text =
            #"{"id":"ok",\#(Self.connector),"operation":"createSecret","#
            + #""params":{"name":"id","secretString":"{\"id\":1,\"id\":2}","#
            + #""tags":[{"key":"id","value":"v"},{"key":"id","value":"v"}]}}"#
        let task = try DelegateTask.decode(Data(text.utf8), defaultID: nil)
        #expect(task.id == "ok")
    }

    @Test func finderReportsPathsAndSurrogatePairs() {
        func find(_ text: String) -> JSONParser.DuplicateKey? {
            Array(text.utf8).withUnsafeBytes { JSONParser.firstDuplicateKey(in: $0) }
        }
        let nested = find(#"{"a":1,"b":[{"c":1},{"c":{"d":1,"d":2}}]}"#)
        #expect(nested == .init(path: [.key("b"), .index(1), .key("c")], key: "d"))
        #expect(nested?.pathText == "b[1].c")
        #expect(find(#"{"\ud83d\ude00":1,"😀":2}"#) == .init(path: [], key: "😀"))
        #expect(find(#"{"a\"b":1,"a\\b":2,"a/b":3,"a\/b":4}"#) == .init(path: [], key: "a/b"))
        // The first in document order: this object's own duplicate comes before the one inside it.
        #expect(find(#"{"a":1,"a":{"b":1,"b":2}}"#) == .init(path: [], key: "a"))
        #expect(find(#"[{"a":1},{"a":1}] "#) == nil)
        let key = String(repeating: "k", count: 64)
        let deep =
            String(repeating: #"{"\#(key)":"#, count: 200) + #"{"z":1,"z":2}"# + String(repeating: "}", count: 201)
        let found = find(deep)
        #expect(found?.key == "z")
        #expect((found?.pathText.utf8.count ?? 0) < 300)
        #expect(found?.pathText.hasSuffix("...") == true)
        // A shortened key (64 characters and "...") at the bound gets no second "...".
        let emoji = String(repeating: "😀", count: 70)
        let shortened = find(#"{"\#(emoji)":{"x":{"a":1,"a":2}}}"#)
        #expect(shortened?.pathText.hasSuffix("...") == true)
        #expect(shortened?.pathText.hasSuffix("......") == false)
        #expect(find(#"{"x":"\"y\":1,\"y\":2"}"#) == nil)
    }

    @Test func anIDStartingWithADotIsRefused() throws {
        let text = #"{"id":".hidden",\#(Self.connector),"operation":"testConnection"}"#
        let refused = try #require(rejection(text, defaultID: "visible"))
        #expect(refused.code == .invalidTask)
        #expect(refused.message == "id must not start with '.': it names the result file, which would be hidden")
        #expect(refused.taskID == "visible")
        #expect(!DelegateTask.isValidID(".x") && !DelegateTask.isValidID("..") && DelegateTask.isValidID("x.y"))
        #expect(SpoolIntake.resultID(for: ".hidden") == "_hidden")
    }
}
