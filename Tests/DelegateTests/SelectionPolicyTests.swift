import Foundation
import SecretsManager
import Testing

@testable import Delegate

@Suite struct SelectionPolicyTests {
    let policy = SelectionPolicy(name: "build-host-1", tags: ["aws", " Prod "], acceptUntagged: true)

    @Test(arguments: [
        (["prod"], SelectionDecision.accept),
        (["PROD"], .accept),
        (["  aws  ", "prod"], .accept),
        (["Build-Host-1"], .accept),  // the name counts as a tag
        (["aws", "", "   "], .accept),  // a blank selector: taken up, for its decoding to refuse
        (["eu", " "], .accept),
        (["aws", "eu"], .reject(missing: ["eu"])),
        ([" eu ", "gpu", "EU"], .reject(missing: ["eu", "gpu"])),  // trimmed, deduplicated, task's spelling
    ])
    func matchesSelectors(selectors: [String], expected: SelectionDecision) {
        #expect(policy.matches(selectors) == expected)
    }

    @Test func noSelectorsFollowAcceptUntagged() {
        #expect(policy.matches([]) == .accept)
        #expect(policy.matches(["", " "]) == .accept)
        let strict = SelectionPolicy(name: "h", tags: ["aws"], acceptUntagged: false)
        #expect(strict.matches([]) == .reject(missing: []))
        // A blank selector is no "no selectors": taken up even here, for its decoding to refuse
        // (InvalidTask) whichever intake it came by, not left in new/ or on its queue for no one.
        #expect(strict.matches([" "]) == .accept)
        #expect(strict.matches(["", "gpu"]) == .accept)
        // So are the other selectors that make a task invalid: too many, or one no tag could be
        // (longer than a tag's 128 bytes, with a comma).
        #expect(strict.matches([String(repeating: "a", count: 257)]) == .accept)
        #expect(strict.matches([String(repeating: "a", count: 129)]) == .accept)
        #expect(strict.matches(["aws,gpu"]) == .accept)
        #expect(strict.matches(Array(repeating: "gpu", count: 65)) == .accept)
        #expect(
            strict.matches([String(repeating: "a", count: 128)])
                == .reject(missing: [String(repeating: "a", count: 128)]))
        #expect(strict.matches(Array(repeating: "gpu", count: 64)) == .reject(missing: ["gpu"]))
        #expect(strict.matches(["aws"]) == .accept)
    }

    @Test func messagesNameTheMissingSelectors() {
        #expect(
            SelectionDecision.reject(missing: ["eu", "gpu"]).message(delegateName: "h1")
                == "delegate h1 lacks the selectors eu, gpu")
        #expect(
            SelectionDecision.reject(missing: []).message(delegateName: "h1")
                == "the task has no delegate selectors and delegate h1 does not accept untagged tasks")
    }

    @Test func notSelectedResult() {
        let date = Date(timeIntervalSince1970: 0)
        let result = TaskResult.notSelected(
            taskID: "t1", operation: "getSecretValue", connectorId: "c1", decision: .reject(missing: ["eu"]),
            delegate: "h1", receivedAt: date, finishedAt: date)
        #expect(
            result.jsonLine
                == #"{"id":"t1","status":"rejected","operation":"getSecretValue","connectorId":"c1","delegate":"h1","#
                + #""receivedAt":"1970-01-01T00:00:00.000Z","finishedAt":"1970-01-01T00:00:00.000Z","attempts":0,"#
                + #""error":{"code":"NotSelected","message":"delegate h1 lacks the selector eu","retryable":false}}"#)
    }

    @Test func systemHostNameIsAValidDefault() throws {
        let name = DelegateConfiguration.systemHostName()
        #expect(!name.isEmpty)
        #expect(try DelegateConfiguration.load(tomlText: nil, environment: [:], hostName: name).delegate.name == name)
    }

    @Test func policyFromConfiguration() throws {
        let configuration = try DelegateConfiguration.load(
            tomlText: "[delegate]\ntags = [\"gpu\"]\naccept_untagged = false\n", environment: [:], hostName: "node7")
        let policy = SelectionPolicy(configuration: configuration)
        #expect(policy.matches(["NODE7", "gpu"]) == .accept)
        #expect(policy.matches([]) == .reject(missing: []))
    }
}
