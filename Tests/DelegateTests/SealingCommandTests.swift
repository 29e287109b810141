import Foundation
import Glibc
@testable import Sealing
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// The library side of `keygen`, `open` and `submit --seal`.
@Suite struct SealingCommandTests {
    let received = Date(timeIntervalSince1970: 1_795_262_400)

    func result(id: String = "t-1", value: String = "s3cr3t-canary") -> TaskResult {
        TaskResult(
            id: id, status: .succeeded, operation: "getSecretValue", connectorId: "c", delegate: "d",
            receivedAt: received, finishedAt: received, attempts: 1, result: ["name": "db", "value": .string(value)])
    }

    // MARK: keygen

    @Test func keygenWritesANewPrivateKeyFileAndPrintsThePublicKey() throws {
        let directory = try TemporaryDirectory(prefix: "keygen")
        let path = directory.path("result.key")
        let outcome = ResultKeyFile.generate(out: path)
        #expect(outcome.status == 0)
        #expect(outcome.errorOutput.isEmpty)

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n") && text.filter { $0 == "\n" }.count == 1)
        let privateKey = try ResultKeyFile.read(path).get()
        #expect(privateKey.count == 32)
        let publicKey = try #require(Data(base64Encoded: outcome.output))
        #expect(Array(publicKey) == (try HPKE.publicKey(privateKey: privateKey)))
        #expect(try SealingKey(base64: outcome.output).publicKey == Array(publicKey))
        #expect(!outcome.output.contains(text.trimmingCharacters(in: .newlines)))
    }

    /// A file system that answers `fchmod` with success and keeps a mode of its own (vfat with
    /// `umask=022`): keygen refuses before writing the key, and leaves no file behind.
    @Test func keygenRefusesAFileSystemThatDoesNotKeepTheMode() throws {
        let directory = try TemporaryDirectory(prefix: "keygen")
        let path = directory.path("result.key")
        let outcome = ResultKeyFile.generate(out: path, setMode: { fchmod($0, 0o755) == 0 ? 0 : -1 })
        #expect(outcome.status == 64)
        #expect(outcome.output.isEmpty)
        #expect(outcome.errorOutput.contains("leaves the key file group or other permission bits (the new file has mode 0755, not 0600)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    /// A step the system fails (here the mode's: EIO, ENOSPC) is 74, whatever the step; one the
    /// caller must change (EPERM) is 64. Nothing is left behind either way.
    @Test(arguments: [(EIO, Int32(74)), (ENOSPC, Int32(74)), (EDQUOT, Int32(74)), (EROFS, Int32(74)), (EPERM, Int32(64)), (EACCES, Int32(64))] as [(Int32, Int32)])
    func keygenTellsASystemFailureFromAUsageOne(number: Int32, status: Int32) throws {
        let directory = try TemporaryDirectory(prefix: "keygen")
        let path = directory.path("result.key")
        let outcome = ResultKeyFile.generate(out: path, setMode: { _ in errno = number; return -1 })
        #expect(outcome.status == status, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("cannot set the mode of \(path): \(String(cString: strerror(number)))"), "\(outcome.errorOutput)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
        // Writing and syncing go by the errno too: a directory the caller may not read (its sync
        // refused) is the caller's to change, a failing disk is not.
        #expect(ResultKeyFile.Problem.writing(path, number).status == status)
    }

    @Test func keygenNeverOverwritesOrFollowsALink() throws {
        let directory = try TemporaryDirectory(prefix: "keygen")
        let path = directory.path("result.key")
        #expect(ResultKeyFile.generate(out: path).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let again = ResultKeyFile.generate(out: path)
        #expect(again.status == 64)
        #expect(again.output.isEmpty)
        #expect(again.errorOutput.contains("exists"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        let link = directory.path("link.key")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory.path("elsewhere"))
        #expect(ResultKeyFile.generate(out: link).status == 64)
        #expect(!FileManager.default.fileExists(atPath: directory.path("elsewhere")))

        let missing = ResultKeyFile.generate(out: directory.path("no/such/dir/key"))
        #expect(missing.status == 64)
        #expect(missing.output.isEmpty)
    }

    /// The key is written in an unnamed file and linked into place: the key's own name is never
    /// opened for writing (a crash or a reader cannot see half a key), no other name ever appears
    /// in the directory, and nothing else stays, whether keygen succeeds or refuses.
    @Test func keygenNeverWritesUnderTheKeysNameAndLeavesNothingElse() throws {
        // In a directory whose file system has O_TMPFILE: the temp dir, else /dev/shm (tmpfs
        // has it; overlayfs before Linux 6.6, a CI's /tmp perhaps, does not, and there keygen
        // writes in place, as it always did).
        func hasUnnamedFiles(_ directory: TemporaryDirectory) -> Bool {
            let probe = open(directory.url.path, 0o20_000_000 | O_DIRECTORY | O_WRONLY, 0o600)
            if probe >= 0 { close(probe) }
            return probe >= 0
        }
        var directory = try TemporaryDirectory(prefix: "keygen")
        if !hasUnnamedFiles(directory) { directory = try TemporaryDirectory(prefix: "keygen", in: URL(fileURLWithPath: "/dev/shm")) }
        try #require(hasUnnamedFiles(directory), "no O_TMPFILE in the temp dir or /dev/shm")
        let watch = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(watch >= 0)
        defer { close(watch) }
        try #require(inotify_add_watch(watch, directory.url.path, UInt32(IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE)) >= 0)

        #expect(ResultKeyFile.generate(out: directory.path("result.key")).status == 0)
        #expect(ResultKeyFile.generate(out: directory.path("result.key")).status == 64)

        var events: [(mask: UInt32, name: String)] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { read(watch, $0.baseAddress, $0.count) }
        var offset = 0
        while offset + MemoryLayout<inotify_event>.size <= max(count, 0) {
            let (mask, length) = buffer.withUnsafeBytes { raw in
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (event.mask, Int(event.len))
            }
            let start = offset + MemoryLayout<inotify_event>.size
            let name = String(decoding: buffer[start..<start + length].prefix { $0 != 0 }, as: UTF8.self)
            events.append((mask, name))
            offset = start + length
        }
        let onKey = events.filter { $0.name == "result.key" }
        #expect(onKey.map(\.mask) == [UInt32(IN_CREATE)], "\(events)")
        // No other name is ever made (the unnamed file's writes show under the kernel's "#<inode>").
        #expect(events.filter { $0.mask & UInt32(IN_CREATE) != 0 }.map(\.name) == ["result.key"], "\(events)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["result.key"])
    }

    @Test func theRemovedKeyFilesPathIsShownEscaped() {
        let line = ResultKeyFile.removedLine(path: "k\u{1B}]0;owned\u{07}")
        #expect(!line.utf8.contains(0x1B) && !line.utf8.contains(0x07), "\(line.debugDescription)")
        #expect(line.contains("k\\u{1b}]0;owned\\u{7} was removed"), "\(line.debugDescription)")
    }

    /// A key file keygen could not take back (its unlink refused) is not said to be removed:
    /// the line says so, and to remove it before running keygen again (which never overwrites).
    @Test func aKeyFileNotRemovedIsSaidToBeLeft() {
        let line = ResultKeyFile.notRemovedLine(path: "k\u{1B}x", errno: EPERM)
        #expect(!line.utf8.contains(0x1B), "\(line.debugDescription)")
        #expect(line.contains("k\\u{1b}x could not be removed (Operation not permitted)"), "\(line.debugDescription)")
        #expect(line.contains("remove it, then run keygen again") && !line.contains("was removed"), "\(line.debugDescription)")
    }

    // MARK: open

    @Test func openPrintsTheResultItHolds() throws {
        let directory = try TemporaryDirectory(prefix: "open")
        let keyPath = directory.path("k")
        let publicKey = try SealingKey(base64: ResultKeyFile.generate(out: keyPath).output)
        let sealed = try result().sealed(to: publicKey)

        let outcome = ResultOpener(keyPath: keyPath).open(Data((sealed.jsonLine + "\n").utf8))
        #expect(outcome.status == 0)
        #expect(outcome.output == result().jsonLine)
        #expect(outcome.errorOutput.isEmpty)

        // Pretty-printed input is a result too.
        let pretty = try JSONSerialization.data(
            withJSONObject: JSONSerialization.jsonObject(with: Data(sealed.jsonLine.utf8)), options: [.prettyPrinted])
        #expect(ResultOpener(keyPath: keyPath).open(pretty).output == result().jsonLine)
    }

    /// Input that is no result says why (the member and the rule, never a value) and where it
    /// came from; `submit --wait` given such an answer prints none of it on stdout, with or
    /// without `--seal`.
    @Test func inputThatIsNoResultSaysWhyAndPrintsNothing() throws {
        let directory = try TemporaryDirectory(prefix: "open")
        let keyPath = directory.path("k")
        _ = ResultKeyFile.generate(out: keyPath)
        let line = result().jsonLine
        let twice = Data(("{\"delegate\":\"d\"," + line.dropFirst()).utf8)
        let noAttempts = Data(line.replacingOccurrences(of: #""attempts":"#, with: #""tries":"#).utf8)
        let badTime = Data(line.replacingOccurrences(of: #""receivedAt":""#, with: #""receivedAt":"x"#).utf8)
        // A byte that is no UTF-8 inside the value: refused, not repaired to U+FFFD and printed.
        var notUTF8 = Data(line.utf8)
        notUTF8.insert(0xFF, at: try #require(notUTF8.firstRange(of: Data("s3cr3t-canary".utf8))).upperBound)
        for (input, reason) in [
            (notUTF8, "not JSON"),
            (twice, "a key is given twice"), (noAttempts, "attempts is required"),
            (badTime, "receivedAt is not an ISO 8601 UTC timestamp"), (Data("[1]".utf8), "not a JSON object"),
        ] {
            let opened = ResultOpener(keyPath: keyPath).open(input, from: "r.json")
            #expect(opened.status == 64 && opened.output.isEmpty, "\(opened)")
            #expect(opened.errorOutput.contains("r.json is not a result"), "\(opened.errorOutput)")
            #expect(opened.errorOutput.hasSuffix(": " + reason), "\(opened.errorOutput)")
            let submitted = try #require(TaskSubmitter.outcome(forResult: input, expectedID: nil))
            #expect(submitted.status == 69 && submitted.output.isEmpty, "\(submitted)")
            #expect(submitted.errorOutput.hasSuffix("not a result: " + reason), "\(submitted.errorOutput)")
            #expect(!submitted.errorOutput.contains("s3cr3t-canary"))
        }
        #expect(ResultOpener(keyPath: keyPath).open(twice).errorOutput.contains("the input is not a result"))
    }

    @Test func openPrintsNothingAndExits1IfTheResultDoesNotAuthenticate() throws {
        let directory = try TemporaryDirectory(prefix: "open")
        let keyPath = directory.path("k")
        let otherPath = directory.path("other")
        let publicKey = try SealingKey(base64: ResultKeyFile.generate(out: keyPath).output)
        _ = ResultKeyFile.generate(out: otherPath)
        let sealed = try result().sealed(to: publicKey)

        var tampered = sealed
        tampered.sealed?.ciphertext[4] ^= 0x20
        var renamed = sealed
        renamed.id = "t-2"
        for (input, key) in [(sealed, otherPath), (tampered, keyPath), (renamed, keyPath)] {
            let outcome = ResultOpener(keyPath: key).open(Data(input.jsonLine.utf8))
            #expect(outcome.status == 1)
            #expect(outcome.output.isEmpty)
            #expect(outcome.errorOutput.contains("does not authenticate"))
            #expect(!outcome.errorOutput.contains("s3cr3t-canary"))
        }
    }

    /// A sealed result `open` cannot use at all (another algorithm, an `enc` of the wrong size)
    /// is an unusable input, 64, not a result that failed to authenticate; `submit --seal` gives
    /// 1 for it all the same, and prints none of it.
    @Test func openExits64ForASealedResultItCannotUse() throws {
        let directory = try TemporaryDirectory(prefix: "open")
        let keyPath = directory.path("k")
        let publicKey = try SealingKey(base64: ResultKeyFile.generate(out: keyPath).output)
        let sealed = try result().sealed(to: publicKey)
        var otherAlgorithm = sealed
        otherAlgorithm.sealed?.algorithm = "HPKE-P256-SHA256-AES128GCM"
        var shortEnc = sealed
        shortEnc.sealed?.enc.removeLast()
        for input in [otherAlgorithm, shortEnc] {
            let outcome = ResultOpener(keyPath: keyPath).open(Data(input.jsonLine.utf8))
            #expect(outcome.status == 64, "\(outcome.errorOutput)")
            #expect(outcome.output.isEmpty)
            let privateKey = try #require(try? ResultKeyFile.read(keyPath).get())
            let submitted = try #require(
                TaskSubmitter.outcome(forResult: Data(input.jsonLine.utf8), expectedID: nil, privateKey: privateKey))
            #expect(submitted.status == 1)
            #expect(submitted.output.isEmpty)
        }
        // submit --seal prints nothing of an answer it cannot read as a result.
        let garbled = try #require(
            TaskSubmitter.outcome(
                forResult: Data(#"{"id":"t-1","sealed":{"alg":1}}"#.utf8), expectedID: nil, privateKey: [UInt8](repeating: 1, count: 32)))
        #expect(garbled.output.isEmpty && garbled.status == 69, "\(garbled)")
    }

    @Test func openPassesAnUnsealedResultThroughWithANote() throws {
        let directory = try TemporaryDirectory(prefix: "open")
        let keyPath = directory.path("k")
        _ = ResultKeyFile.generate(out: keyPath)
        let outcome = ResultOpener(keyPath: keyPath).open(Data(result().jsonLine.utf8))
        #expect(outcome.status == 0)
        #expect(outcome.output == result().jsonLine)
        #expect(outcome.errorOutput.contains("not sealed"))

        // Unchanged: a member this version does not know, the layout, less the line end only.
        let rejected = #"{ "id":"t","status":"rejected","delegate":"d","receivedAt":"2026-01-01T00:00:00.000Z","#
            + #""finishedAt":"2026-01-01T00:00:00.000Z","attempts":0,"x":1,"#
            + "\n" + #" "error":{"code":"InvalidTask","message":"m","retryable":false}}"#
        let passed = ResultOpener(keyPath: keyPath).open(Data((rejected + "\r\n").utf8))
        #expect(passed.status == 0)
        #expect(passed.output == rejected)
    }

    @Test func openRefusesABadKeyFileOrInput() throws {
        let directory = try TemporaryDirectory(prefix: "open")
        let keyPath = directory.path("k")
        _ = ResultKeyFile.generate(out: keyPath)
        let badKey = directory.path("bad")
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: badKey))
        #expect(chmod(badKey, 0o600) == 0)
        let line = Data(result().jsonLine.utf8)
        let bad = ResultOpener(keyPath: badKey).open(line)
        #expect(bad.status == 64)
        #expect(bad.errorOutput.contains("does not hold one line of base64"))
        #expect(ResultOpener(keyPath: directory.path("missing")).open(line).status == 64)
        #expect(ResultOpener(keyPath: keyPath).open(Data("[1,2]".utf8)).status == 64)
    }

    /// Whoever reads the key file reads every result sealed to it: like `ssh` with its keys, `open`
    /// takes only a regular file that no one but its owner may read or write.
    @Test func openTakesOnlyAKeyFileKeptToItsOwner() throws {
        let directory = try TemporaryDirectory(prefix: "open")
        let keyPath = directory.path("k")
        let publicKey = try SealingKey(base64: ResultKeyFile.generate(out: keyPath).output)
        let sealed = Data(try result().sealed(to: publicKey).jsonLine.utf8)

        for mode: mode_t in [0o640, 0o604, 0o620, 0o644] {
            #expect(chmod(keyPath, mode) == 0)
            let outcome = ResultOpener(keyPath: keyPath).open(sealed)
            #expect(outcome.status == 64, "mode \(String(mode, radix: 8))")
            #expect(outcome.output.isEmpty)
            #expect(outcome.errorOutput.contains("mode 0\(String(mode, radix: 8))"), "\(outcome.errorOutput)")
            #expect(outcome.errorOutput.contains("chmod 600"))
        }
        #expect(chmod(keyPath, 0o400) == 0)
        #expect(ResultOpener(keyPath: keyPath).open(sealed).status == 0)

        // A link to a good key is followed; the file it names is what is checked.
        let link = directory.path("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: keyPath)
        #expect(ResultOpener(keyPath: link).open(sealed).status == 0)

        // Not a regular file: a directory, and a FIFO (refused, not waited on for a writer).
        let fifo = directory.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [directory.path(""), fifo] {
            let outcome = ResultOpener(keyPath: path).open(sealed)
            #expect(outcome.status == 64)
            #expect(outcome.errorOutput.contains("not a regular file"), "\(outcome.errorOutput)")
        }

        // The key followed by more than a key file holds.
        let long = directory.path("long")
        let key = try String(contentsOfFile: keyPath, encoding: .utf8)
        try Data((key + String(repeating: " ", count: ResultKeyFile.maximumSize)).utf8).write(to: URL(fileURLWithPath: long))
        #expect(chmod(long, 0o600) == 0)
        #expect(ResultOpener(keyPath: long).open(sealed).status == 64)
    }

    // MARK: submit --seal

    @Test func submitSealRefusesAResultThatCameBackInTheClear() throws {
        let privateKey = try HPKE.generateKeyPair().privateKey
        let line = Data(result().jsonLine.utf8)
        let outcome = try #require(TaskSubmitter.outcome(forResult: line, expectedID: nil, privateKey: privateKey))
        #expect(outcome.status == 1)
        #expect(outcome.output.isEmpty)
        #expect(outcome.errorOutput.contains("not sealed"))
    }

    /// A success that came back with no result at all is no sealed result either (every success
    /// carries one, sealed under `sealTo`), and a line without the task's id is no answer to it
    /// (the id is bound into the seal): both as on the SQS path.
    @Test func submitSealRefusesASuccessWithoutAResultAndALineWithoutTheId() throws {
        let privateKey = try HPKE.generateKeyPair().privateKey
        var empty = result()
        empty.result = nil
        let outcome = TaskSubmitter.outcome(for: empty, text: empty.jsonLine, privateKey: privateKey)
        #expect(outcome.status == 1)
        #expect(outcome.output.isEmpty)
        #expect(outcome.errorOutput.contains("not sealed"), "\(outcome.errorOutput)")

        var anonymous = result()
        anonymous.id = nil
        #expect(
            TaskSubmitter.outcome(forResult: Data(anonymous.jsonLine.utf8), expectedID: "t-1", privateKey: privateKey)
                == nil)
        // Without --seal such a line is still taken, as before.
        #expect(TaskSubmitter.outcome(forResult: Data(anonymous.jsonLine.utf8), expectedID: "t-1") != nil)
    }

    @Test func sealToIsAddedAsTheFirstFieldAndTheRestKept() throws {
        let task = Data(" \n{\"id\":\"t-1\",  \"operation\" : \"getRandomPassword\"}\n".utf8)
        let pair = try HPKE.generateKeyPair()
        let (sealedTask, privateKey) = (try TaskSubmitter.addSealTo(task, pair: pair).get(), pair.privateKey)
        let text = String(decoding: sealedTask, as: UTF8.self)
        let publicKey = Data(try HPKE.publicKey(privateKey: privateKey)).base64EncodedString()
        #expect(text == " \n{\"sealTo\":\"\(publicKey)\",\"id\":\"t-1\",  \"operation\" : \"getRandomPassword\"}\n")

        let empty = try TaskSubmitter.addSealTo(Data("{ }".utf8), pair: pair).get()
        #expect(try JSONSerialization.jsonObject(with: empty) is [String: Any])

        #expect(throws: SealedResultError.self) {
            try TaskSubmitter.addSealTo(Data(#"{"sealTo":"x","id":"t"}"#.utf8), pair: pair).get()
        }
        #expect(throws: SealedResultError.self) { try TaskSubmitter.addSealTo(Data("[]".utf8), pair: pair).get() }

        // A byte order mark, which a task may start with, is kept where it was.
        let marked = Data([0xEF, 0xBB, 0xBF] + Array(#"{"id":"t-1"}"#.utf8))
        let (sealedMarked, markedKey) = (try TaskSubmitter.addSealTo(marked, pair: pair).get(), pair.privateKey)
        let markedPublic = Data(try HPKE.publicKey(privateKey: markedKey)).base64EncodedString()
        #expect(Array(sealedMarked) == [0xEF, 0xBB, 0xBF] + Array("{\"sealTo\":\"\(markedPublic)\",\"id\":\"t-1\"}".utf8))
    }

    /// A key pair that cannot be made (the host's libcrypto) is the host's failure, 69 as for
    /// keygen, not a usage error; nothing is sent.
    @Test func aKeyPairThatCannotBeMadeIs69() async throws {
        struct NoKeys: Error, CustomStringConvertible { var description: String { "no random bytes (test)" } }
        var submitter = TaskSubmitter(
            destination: .socket("/nonexistent/delegate.sock"), wait: true, timeout: .seconds(5), seal: true)
        submitter.makeKeyPair = { throw NoKeys() }
        let outcome = await submitter.submit(Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8))
        #expect(outcome.status == 69, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("cannot generate a key pair: no random bytes (test)"), "\(outcome.errorOutput)")
    }

    /// A key pair this host cannot seal to and open with (a libcrypto without part of the suite;
    /// here halves of two pairs) is refused before the task is sent: 69, and nothing queued, since
    /// a task that ran with a result nobody can open may have written.
    @Test func aKeyPairThatCannotOpenItsOwnSealIsRefusedBeforeSending() async throws {
        let directory = try TemporaryDirectory(prefix: "seal-trial")
        let spool = directory.url.path
        for part in ["tmp", "new", "done"] {
            try FileManager.default.createDirectory(atPath: directory.path(part), withIntermediateDirectories: true)
        }
        var submitter = TaskSubmitter(destination: .spool(spool), wait: true, timeout: .seconds(5), seal: true)
        let (first, second) = (try HPKE.generateKeyPair(), try HPKE.generateKeyPair())
        submitter.makeKeyPair = { HPKE.KeyPair(privateKey: first.privateKey, publicKey: second.publicKey) }
        let outcome = await submitter.submit(Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8))
        #expect(outcome.status == 69, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("this host cannot open sealed results: a trial seal and open"), "\(outcome.errorOutput)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("new")).isEmpty)
        #expect(throws: HPKEError.self) { try HPKE.checkRoundTrip(HPKE.KeyPair(privateKey: first.privateKey, publicKey: second.publicKey)) }
        try HPKE.checkRoundTrip(first)
    }

    /// A field inserted into a task is written as a JSON string, whatever it holds (`--reply-queue`
    /// puts a URL there): `JSONSerialization` reads back exactly the value.
    @Test func anInsertedFieldIsEscapedAsJSON() throws {
        for value in ["https://sqs.test/1/q", #"a"b\c"#, "tab\tnew\nline\u{1}", "\u{2028}é"] {
            let task = try #require(TaskSubmitter.inserting(field: "replyTo", value: value, into: Data(#"{"id":"t"}"#.utf8)))
            let object = try #require(try JSONSerialization.jsonObject(with: task) as? [String: Any])
            #expect(object["replyTo"] as? String == value)
            #expect(object["id"] as? String == "t")
        }
        #expect(TaskSubmitter.inserting(field: "replyTo", value: "x", into: Data("[1]".utf8)) == nil)
    }

    @Test func sealNeedsWait() async throws {
        let submitter = TaskSubmitter(
            destination: .spool("/nonexistent"), wait: false, timeout: .seconds(1), seal: true)
        let outcome = await submitter.submit(TaskFixtures.task())
        #expect(outcome.status == 64)
        #expect(outcome.errorOutput.contains("--wait"))
    }

    /// With --seal over the socket, a task whose id the delegate could not read (missing, not a
    /// valid id, a field given twice) would be rejected without an id, which a sealed wait never
    /// takes for its answer: refused before anything is sent (the socket does not exist).
    @Test func sealOverTheSocketNeedsAnIDTheDelegateCanRead() async throws {
        let submitter = TaskSubmitter(destination: .socket("/nonexistent/delegate.sock"), wait: true, timeout: .seconds(5), seal: true)
        for task in [
            #"{"connector":"c","operation":"getRandomPassword","params":{}}"#,
            #"{"id":"bad id","connector":"c","operation":"getRandomPassword","params":{}}"#,
            #"{"id":"a","id":"b","connector":"c","operation":"getRandomPassword","params":{}}"#,
        ] {
            let outcome = await submitter.submit(Data(task.utf8))
            #expect(outcome.status == 64, "\(task): \(outcome.errorOutput)")
            #expect(!outcome.errorOutput.contains("cannot be reached"), "\(task): \(outcome.errorOutput)")
        }
    }

    /// Through a spool, with the test playing the delegate: the task carries the one-off key,
    /// the result file holds only the sealed form, and the submitter prints it opened.
    @Test(arguments: [false, true])
    func submitSealOpensWhatItWaitsFor(tamper: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "seal-submit")
        let spool = directory.path("spool")
        for folder in ["tmp", "new", "cur", "done"] {
            try FileManager.default.createDirectory(atPath: spool + "/" + folder, withIntermediateDirectories: true)
        }
        let submitter = TaskSubmitter(destination: .spool(spool), wait: true, timeout: .seconds(20), seal: true)
        async let submitted = submitter.submit(TaskFixtures.task())

        let id = "build-4711-db-password"
        let taskPath = spool + "/new/\(id).json"
        var waited = 0
        while !FileManager.default.fileExists(atPath: taskPath), waited < 2000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        let task = try DelegateTask.decode(try Data(contentsOf: URL(fileURLWithPath: taskPath)), defaultID: id)
        let key = try #require(task.sealTo)
        var sealed = try result(id: id).sealed(to: key)
        if tamper { sealed.sealed?.ciphertext[0] ^= 1 }
        let line = sealed.jsonLine + "\n"
        #expect(!line.contains("s3cr3t-canary"))
        try Data(line.utf8).write(to: URL(fileURLWithPath: spool + "/tmp/result"))
        try FileManager.default.moveItem(atPath: spool + "/tmp/result", toPath: spool + "/done/\(id).json")

        let outcome = await submitted
        if tamper {
            #expect(outcome.status == 1)
            #expect(outcome.output.isEmpty)
            #expect(outcome.errorOutput.contains("does not authenticate"))
        } else {
            #expect(outcome.status == 0, "\(outcome.errorOutput)")
            #expect(outcome.output == result(id: id).jsonLine)
        }
    }

    /// `submit --spool --wait` returns once the delegate has let the task go (its result synced,
    /// its claim deleted), not at the rename of the result: the id can be used again at once.
    @Test func theWaitEndsWhenTheClaimIsGoneSoTheIDCanBeUsedAgain() async throws {
        let directory = try TemporaryDirectory(prefix: "submit-reuse")
        let spool = directory.path("spool")
        for folder in ["tmp", "new", "cur/d", "done"] {
            try FileManager.default.createDirectory(atPath: spool + "/" + folder, withIntermediateDirectories: true)
        }
        var submitter = TaskSubmitter(destination: .spool(spool), wait: true, timeout: .seconds(20))
        submitter.claimReleaseLimit = .seconds(60)  // a stalled pool must not end the wait first
        let waiting = submitter
        async let submitted = waiting.submit(TaskFixtures.task())

        // The test plays the delegate: claim, result renamed into done/, and the claim deleted
        // only after its sync of done/ (here 400 ms).
        let id = "build-4711-db-password"
        let claimed = spool + "/cur/d/\(id).json"
        #expect(await eventually { rename(spool + "/new/\(id).json", claimed) == 0 })
        try Data((result(id: id).jsonLine + "\n").utf8).write(to: URL(fileURLWithPath: spool + "/tmp/result"))
        #expect(rename(spool + "/tmp/result", spool + "/done/\(id).json") == 0)
        let syncing = Task {
            try await Task.sleep(for: .milliseconds(400))
            #expect(unlink(claimed) == 0)
        }
        let outcome = await submitted
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: claimed), "the wait ended before the claim went")
        try await syncing.value
        // Collected (printing deletes it), and queued again under the same id.
        try SpoolProducer(directory: spool).removeResult(id: id)
        #expect(throws: Never.self) { try SpoolProducer(directory: spool).enqueue(id: id, data: TaskFixtures.task()) }
    }
}
