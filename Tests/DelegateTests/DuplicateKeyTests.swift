import Foundation
@testable import JSON
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

        // Also when another key was given twice before them: no field given twice is context.
        let laterTwice =
            #"{"params":{"a":1,"a":2},"id":"first","id":"second","connector":{"id":"c1","id":"c2","region":"us-east-1","#
            + #""credentials":{"type":"instanceRole"}},"operation":"testConnection","operation":"deleteSecret"}"#
        let afterAnother = try #require(rejection(laterTwice, defaultID: "file"))
        #expect(afterAnother.message.hasPrefix(#""a" is given more than once in params;"#))
        #expect(afterAnother.taskID == "file")
        #expect(afterAnother.operation == nil)
        #expect(afterAnother.connectorID == nil)
    }

    @Test func aKeyOver32CharactersIsNamedByItsLength() throws {
        let key = String(repeating: "k", count: 500)
        let text = #"{"id":"long",\#(Self.connector),"operation":"testConnection","params":{"\#(key)":1,"\#(key)":2}}"#
        let refused = try #require(rejection(text))
        #expect(refused.message.hasPrefix("<a key of 500 characters> is given more than once in params;"))
        #expect(refused.message.count < 300)
        let at32 = String(repeating: "k", count: 32)
        let quoted = try #require(rejection(#"{"id":"long",\#(Self.connector),"operation":"testConnection","params":{"\#(at32)":1,"\#(at32)":2}}"#))
        #expect(quoted.message.hasPrefix("\"\(at32)\" is given more than once"))
    }

    /// A credentials file's line pasted as a key, twice: the secret is in no message, whether the
    /// key is the one given twice or a key on the way to it.
    @Test func aSecretPastedAsADuplicatedKeyIsNotQuoted() throws {
        let pasted = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        let twice =
            #"{"id":"s","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole","#
            + #""\#(pasted)":1,"\#(pasted)":2}},"operation":"testConnection"}"#
        let refused = try #require(rejection(twice))
        #expect(refused.message.hasPrefix("<a key of 62 characters> is given more than once in connector.credentials;"))
        let onTheWay =
            #"{"id":"s",\#(Self.connector),"operation":"testConnection","params":{"\#(pasted)":{"a":1,"a":2}}}"#
        let inside = try #require(rejection(onTheWay))
        #expect(inside.message.hasPrefix(#""a" is given more than once in params.<a field of 62 characters>;"#))
        for message in [refused.message, inside.message] { #expect(!message.contains("wJalrXUtnFEMI"), "\(message)") }
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
        // A key over 32 characters (here 70 scalars) on the way is named by its length.
        let emoji = String(repeating: "😀", count: 70)
        let long = find(#"{"\#(emoji)":{"x":{"a":1,"a":2}}}"#)
        #expect(long?.pathText == "<a field of 70 characters>.x")
        #expect(find(#"{"x":"\"y\":1,\"y\":2"}"#) == nil)
    }

    @Test func anIDStartingWithADotIsRefused() throws {
        let text = #"{"id":".hidden",\#(Self.connector),"operation":"testConnection"}"#
        let refused = try #require(rejection(text, defaultID: "visible"))
        #expect(refused.code == .invalidTask)
        #expect(refused.message == "id must not start with '.': it names the result file, which would be hidden")
        #expect(refused.taskID == "visible")
        #expect(!DelegateTask.isValidID(".x") && !DelegateTask.isValidID("..") && DelegateTask.isValidID("x.y"))
        #expect(SpoolIntake.resultID(for: ".hidden") == "invalid-name-2e68696464656e")
    }
}
