import AWSCore
@testable import AWSCredentials
import Foundation
import Logging
import SigV4
import TestSupport
import Testing

/// Access keys by reference: where refs are looked up, and every way a ref is refused without
/// its contents ever showing.
@Suite struct CredentialRefStoreTests {
    let logger = Logger(label: "test.refs")

    func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @Test func looksInCredentialsDirectoryFirstThenTheConfiguredOne() throws {
        let systemd = try TemporaryDirectory()
        let configured = try TemporaryDirectory()
        try write("from-systemd\n", to: systemd.path("both"), mode: 0o400)
        try write("from-config\n", to: configured.path("both"))
        try write("only-config", to: configured.path("config-only"))

        let store = CredentialRefStore(
            environment: ["CREDENTIALS_DIRECTORY": systemd.url.path], configuredDirectory: configured.url.path)
        #expect(store.directories == [systemd.url.path, configured.url.path])
        #expect(try store.value(of: "both") == "from-systemd", "one trailing newline is dropped")
        #expect(try store.value(of: "config-only") == "only-config")

        let withoutSystemd = CredentialRefStore(environment: [:], configuredDirectory: configured.url.path)
        #expect(try withoutSystemd.value(of: "both") == "from-config")
    }

    /// The contract's credential name, `[A-Za-z0-9_.-]{1,128}`, with dots anywhere (one path
    /// component all the same), but never a whole `.` or `..`.
    /// A file the system failed to open or read for now (out of descriptors or memory, an I/O
    /// error) is a retryable CredentialsUnavailable: the same task sent again may read it; one
    /// refused for good (a permission, a read-only or missing mount) is not.
    @Test func aPassingReadFailureIsRetryableAPermissionIsNot() {
        for number in [EMFILE, ENFILE, ENOMEM, EIO, EAGAIN] {
            let error = CredentialRefStore.unreadable("prod-key", in: "/etc/secrets-delegate/credentials", number)
            #expect(error.code == .credentialsUnavailable && error.retryable, "\(number)")
            #expect(
                error.message.contains("credential 'prod-key' cannot be read in /etc/secrets-delegate/credentials ("))
            #expect(error.message.contains(String(cString: strerror(number))))
        }
        for number in [EACCES, EPERM, ENOTDIR, EROFS, ENXIO] {
            #expect(!CredentialRefStore.unreadable("prod-key", in: "/d", number).retryable, "\(number)")
        }
    }

    @Test func namesMayHoldDotsAnywhereButAreNeverDotOrDotDot() throws {
        for name in [
            "a.b", ".hidden", "key.", "a.b.c", "a-b_c.d", "a..b", "prod..key", "...", "..key", "key..",
            String(repeating: "a", count: 128),
        ] {
            #expect(CredentialRefStore.isValidName(name), "\(name)")
        }
        for name in [".", "..", "a/b", "../a", "é", "", String(repeating: "a", count: 129)] {
            #expect(!CredentialRefStore.isValidName(name), "\(name)")
        }
        let directory = try TemporaryDirectory()
        try write("from-file\n", to: directory.path("prod..key"))
        #expect(try CredentialRefStore(directories: [directory.url.path]).value(of: "prod..key") == "from-file")
    }

    @Test func refusesRefsThatAreNotPlainNames() throws {
        let directory = try TemporaryDirectory()
        let store = CredentialRefStore(directories: [directory.url.path])
        for ref in [
            "../etc/passwd", "a/b", "/abs", "..", ".", "", "name with space", "a/../b", "./a",
            String(repeating: "a", count: 129),
        ] {
            let error = #expect(throws: AWSError.self, "\(ref)") { try store.value(of: ref) }
            #expect(error?.code == .credentialsUnavailable)
            // A long name without separators could be a pasted secret: described, not quoted.
            let quoted = ref.count <= 32 || ref.contains(where: { "-_.".contains($0) })
            #expect(error?.message.contains("credential '\(ref)'") == quoted, "\(String(describing: error))")
            #expect(ref.isEmpty || error?.message.contains(ref) == quoted)
        }
    }

    /// A secret access key pasted where its ref belongs (a valid name, 40 characters of base64
    /// without `+` or `/`) is never written back in the message that says it was not found.
    @Test func aSecretPastedAsARefIsNotQuoted() throws {
        let directory = try TemporaryDirectory()
        let store = CredentialRefStore(directories: [directory.url.path])
        let pasted = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12"
        let error = #expect(throws: AWSError.self) { try store.value(of: pasted) }
        #expect(error?.message.contains("was not found") == true)
        #expect(error?.message.contains("a name of 40 bytes, not quoted") == true, "\(String(describing: error))")
        #expect(error?.message.contains(pasted.prefix(12)) == false)
        // An ordinary name, however long, still is quoted.
        let named = "prod-secrets-manager-secret-access-key"
        #expect(throws: AWSError.self) { try store.value(of: named) }
        #expect((try? store.value(of: named)) == nil)
        do { _ = try store.value(of: named) } catch { #expect(error.message.contains("credential '\(named)'")) }
    }

    @Test func refusesMissingEmptyAndExposedFilesWithoutShowingTheirContents() throws {
        let directory = try TemporaryDirectory()
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        try write(secret, to: directory.path("group-readable"), mode: 0o640)
        try write(secret, to: directory.path("world-readable"), mode: 0o604)
        try write(secret, to: directory.path("group-writable"), mode: 0o620)
        try write("", to: directory.path("empty"))
        try write("\n", to: directory.path("just-newline"))
        try FileManager.default.createDirectory(
            atPath: directory.path("a-directory"), withIntermediateDirectories: false)
        try write(secret, to: directory.path("target"))
        try FileManager.default.createSymbolicLink(
            atPath: directory.path("link"), withDestinationPath: directory.path("target"))

        let store = CredentialRefStore(directories: [directory.url.path])
        let expectations = [
            "group-readable": "mode 640", "world-readable": "mode 604", "group-writable": "mode 620",
            "empty": "is empty", "just-newline": "is empty", "a-directory": "not a regular file",
            "link": "not a regular file", "missing": "was not found",
        ]
        for (ref, reason) in expectations {
            let error = #expect(throws: AWSError.self, "\(ref)") { try store.value(of: ref) }
            let description = error?.description ?? ""
            #expect(description.contains("credential '\(ref)'"), "\(description)")
            #expect(description.contains(reason), "\(description)")
            #expect(!description.contains(secret))
            #expect(error?.retryable == false)
        }
        #expect(try store.value(of: "target") == secret)
    }

    /// A credential file holds at most 8 KiB: one byte over is refused, naming the limit, never
    /// the contents.
    @Test func aFileOverEightKiBIsRefusedWithoutShowingIt() throws {
        let directory = try TemporaryDirectory()
        let limit = String(repeating: "A", count: 8192)
        try write(limit, to: directory.path("at-limit"))
        try write(limit + "B", to: directory.path("over-limit"))
        let store = CredentialRefStore(directories: [directory.url.path])
        #expect(try store.value(of: "at-limit") == limit)
        let error = #expect(throws: AWSError.self) { try store.value(of: "over-limit") }
        let description = error?.description ?? ""
        #expect(
            description.contains("credential 'over-limit'") && description.contains("larger than 8192 bytes"),
            "\(description)")
        #expect(!description.contains("AAAAAAAA"))
        #expect(error?.retryable == false)
    }

    /// A value that no key holds, which would go into a header or the signing key as it is (and
    /// get only "SignatureDoesNotMatch" back), is refused by position, never shown; one trailing
    /// line break (LF or CRLF) is not part of the value.
    @Test func aFileWithACharacterNoKeyHoldsIsRefusedByPosition() throws {
        let directory = try TemporaryDirectory()
        let contents: [String: [UInt8]] = [
            "two-newlines": Array("AKIDEXAMPLE\n\n".utf8), "inner-space": Array("AKID EXAMPLE".utf8),
            "trailing-space": Array("AKIDEXAMPLE \n".utf8), "bom": [0xEF, 0xBB, 0xBF] + Array("AKIDEXAMPLE".utf8),
            "latin1": [0x61, 0xE9, 0x62, 0x0A], "tab": Array("wJalr\tXUtn".utf8),
        ]
        for (ref, bytes) in contents {
            try Data(bytes).write(to: URL(fileURLWithPath: directory.path(ref)))
            #expect(chmod(directory.path(ref), 0o600) == 0)
        }
        try write("AKIDEXAMPLE\r\n", to: directory.path("crlf"))
        let store = CredentialRefStore(directories: [directory.url.path])
        let positions = ["two-newlines": 12, "inner-space": 5, "trailing-space": 12, "bom": 1, "latin1": 2, "tab": 6]
        for (ref, position) in positions {
            let error = #expect(throws: AWSError.self, "\(ref)") { try store.value(of: ref) }
            let message = error?.message ?? ""
            #expect(message.contains("credential '\(ref)'") && message.contains("at byte \(position) "), "\(message)")
            #expect(!message.contains("AKID") && !message.contains("wJalr"), "\(message)")
        }
        #expect(try store.value(of: "crlf") == "AKIDEXAMPLE")
    }

    @Test func aFileOwnedByAnotherUserIsRefusedEvenWithMode0600() throws {
        let directory = try TemporaryDirectory()
        try write("AKIDOTHER\n", to: directory.path("other"))
        #expect(chown(directory.path("other"), 65534, 65534) == 0)
        try write("AKIDMINE\n", to: directory.path("mine"))
        let store = CredentialRefStore(directories: [directory.url.path])
        #expect(try store.value(of: "mine") == "AKIDMINE")
        #expect {
            try store.value(of: "other")
        } throws: { error in
            let message = (error as? AWSError)?.message ?? ""
            return message.contains("belongs to uid 65534") && !message.contains("AKIDOTHER")
        }
        // The same file is fine for a delegate running as that user.
        #expect(
            try CredentialRefStore(directories: [directory.url.path], owner: 65534).value(of: "other") == "AKIDOTHER")
    }

    /// Where the credentials file system has ACLs (tmpfs), systemd leaves `LoadCredential=`
    /// copies root's, mode 0440 (the ACL's mask as group bits), readable by the service through an
    /// ACL: taken in `$CREDENTIALS_DIRECTORY`, refused in `[credentials] directory`; a group
    /// write bit or any bit of others is refused in either.
    @Test func systemdsRootOwnedCopiesAreTakenOnlyInItsDirectory() throws {
        let systemd = try TemporaryDirectory()
        let configured = try TemporaryDirectory()
        try write("AKIDACL\n", to: systemd.path("acl"), mode: 0o440)
        try write("AKIDACL\n", to: configured.path("acl"), mode: 0o440)
        try write("AKIDWIDE\n", to: systemd.path("wide"), mode: 0o444)
        try write("AKIDGW\n", to: systemd.path("groupwrite"), mode: 0o460)
        try write("AKIDMINE\n", to: systemd.path("mine-group"), mode: 0o640)
        #expect(chown(systemd.path("mine-group"), 4242, 0) == 0)
        // The files are root's (this test runs as root); the delegate is another user.
        let store = CredentialRefStore(
            environment: ["CREDENTIALS_DIRECTORY": systemd.url.path], configuredDirectory: configured.url.path,
            owner: 4242)
        #expect(try store.value(of: "acl") == "AKIDACL")
        // The delegate's own file there is held to 0600/0400 as anywhere.
        for ref in ["wide", "groupwrite", "mine-group"] {
            #expect(throws: AWSError.self, "\(ref)") { try store.value(of: ref) }
        }
        let configuredOnly = CredentialRefStore(directories: [configured.url.path], owner: 4242)
        #expect {
            try configuredOnly.value(of: "acl")
        } throws: { error in
            ((error as? AWSError)?.message ?? "").contains("belongs to uid 0")
        }
    }

    /// A directory others may write lets them swap two refs' files (each still the delegate's,
    /// mode 0600): refused, unless it is sticky; so is one owned by another user.
    @Test func aDirectoryOthersMayChangeIsRefused() throws {
        let directory = try TemporaryDirectory()
        try write("value", to: directory.path("key"))
        let store = CredentialRefStore(directories: [directory.url.path])
        #expect(try store.value(of: "key") == "value")
        for (mode, refused) in [(0o770, true), (0o757, true), (0o1777, false), (0o750, false)] {
            #expect(chmod(directory.url.path, mode_t(mode)) == 0)
            let fresh = CredentialRefStore(directories: [directory.url.path])
            if refused {
                let error = #expect(throws: AWSError.self) { try fresh.value(of: "key") }
                #expect(
                    error?.message.contains("others than its owner may write (mode 0\(String(mode, radix: 8)))")
                        == true, "\(String(describing: error))")
                #expect(error?.message.contains("value") == false)
            } else {
                #expect(try fresh.value(of: "key") == "value", "mode \(String(mode, radix: 8))")
            }
        }
        #expect(chmod(directory.url.path, 0o755) == 0)
        #expect(chown(directory.url.path, 65534, 65534) == 0)
        let error = #expect(throws: AWSError.self) {
            try CredentialRefStore(directories: [directory.url.path]).value(of: "key")
        }
        #expect(error?.message.contains("belongs to uid 65534") == true, "\(String(describing: error))")
        #expect(chown(directory.url.path, 0, 0) == 0)
    }

    @Test func noDirectoryMeansNotFound() {
        let error = #expect(throws: AWSError.self) {
            try CredentialRefStore(environment: [:], configuredDirectory: "").value(of: "key")
        }
        #expect(error?.message.contains("no credential directory") == true)
    }

    @Test func aRegistryBuildsAccessKeysFromRefs() async throws {
        let directory = try TemporaryDirectory()
        try write("AKIAREFEXAMPLE\n", to: directory.path("key-id"))
        try write("ref-secret-value\n", to: directory.path("secret-key"), mode: 0o400)
        try write("ref-session-token", to: directory.path("token"))
        let roles = try await MotoRoles.make()
        let registry = try roles.registry(
            identity: fakeCredentials("identity"), sts: roles.sts(),
            refStore: CredentialRefStore(directories: [directory.url.path]))

        let provider = try registry.resolve(
            .accessKey(
                AccessKeyCredentials(
                    accessKeyID: .ref("key-id"), secretAccessKeyRef: "secret-key", sessionTokenRef: "token")),
            region: "us-east-1"
        ).provider
        #expect(
            try await provider.credentials(logger: logger)
                == Credentials(
                    accessKeyId: "AKIAREFEXAMPLE", secretAccessKey: "ref-secret-value",
                    sessionToken: "ref-session-token"))

        let plainID = try registry.resolve(
            .accessKey(
                AccessKeyCredentials(
                    accessKeyID: .plain("AKIAPLAIN"), secretAccessKeyRef: "secret-key", sessionTokenRef: nil)),
            region: "us-east-1"
        ).provider
        #expect(try await plainID.credentials(logger: logger).accessKeyId == "AKIAPLAIN")

        // A rotated file takes effect for the next provider.
        try write("rotated-secret", to: directory.path("secret-key"))
        #expect(
            try await registry.resolve(
                .accessKey(
                    AccessKeyCredentials(
                        accessKeyID: .plain("AKIAPLAIN"), secretAccessKeyRef: "secret-key", sessionTokenRef: nil)),
                region: "us-east-1"
            ).provider.credentials(logger: logger).secretAccessKey == "rotated-secret")

        let missing = #expect(throws: AWSError.self) {
            try registry.resolve(
                .accessKey(
                    AccessKeyCredentials(
                        accessKeyID: .plain("AKIAPLAIN"), secretAccessKeyRef: "../secret-key", sessionTokenRef: nil)),
                region: "us-east-1"
            ).provider
        }
        #expect(missing?.message.contains("'../secret-key'") == true)
        // An access key without a key id cannot be written: `AccessKeyCredentials.KeyID` is plain or ref.
    }
}
