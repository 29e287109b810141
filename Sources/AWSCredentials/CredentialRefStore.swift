import AWSCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Looks up named credentials ("refs") in credential directories: first systemd's
/// `$CREDENTIALS_DIRECTORY` (filled by `LoadCredential=`), then `[credentials] directory`.
///
/// A ref is a file name, `[A-Za-z0-9_.-]{1,128}`, never a path. Files must be regular files (not
/// symbolic links) that only their owner can read: mode 0600 or 0400, as systemd gives the files
/// of `$CREDENTIALS_DIRECTORY`. A secret key readable by a group is a secret shared with that
/// group, so any group or other permission bit is refused. Errors name the ref and the reason,
/// never the contents.
public struct CredentialRefStore: Sendable {
    public static let maxFileBytes = 8 * 1024

    public let directories: [String]

    /// - Parameters:
    ///   - environment: the process environment (for `CREDENTIALS_DIRECTORY`).
    ///   - configuredDirectory: `[credentials] directory`.
    public init(environment: [String: String], configuredDirectory: String) {
        var directories: [String] = []
        if let systemd = environment["CREDENTIALS_DIRECTORY"], !systemd.isEmpty { directories.append(systemd) }
        if !configuredDirectory.isEmpty { directories.append(configuredDirectory) }
        self.directories = directories
    }

    public init(directories: [String]) {
        self.directories = directories
    }

    public static func isValidName(_ name: String) -> Bool {
        guard (1...128).contains(name.utf8.count), name != ".", name != "..", !name.contains("..") else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    /// The credential's value, with one trailing newline removed.
    public func value(of ref: String) throws(AWSError) -> String {
        guard Self.isValidName(ref) else {
            throw failure(ref, "is not a valid credential name (use [A-Za-z0-9_.-], no paths)")
        }
        for directory in directories {
            let path = directory + "/" + ref
            var info = stat()
            guard lstat(path, &info) == 0 else {
                if errno == ENOENT { continue }
                throw failure(ref, "cannot be read in \(directory) (errno \(errno))")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw failure(ref, "in \(directory) is not a regular file")
            }
            guard info.st_mode & 0o077 == 0 else {
                throw failure(
                    ref,
                    "in \(directory) has mode \(String(info.st_mode & 0o777, radix: 8)); "
                        + "only its owner may read it (use 0600 or 0400)"
                )
            }
            guard info.st_size <= Self.maxFileBytes else {
                throw failure(ref, "in \(directory) is larger than \(Self.maxFileBytes) bytes")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw failure(ref, "in \(directory) cannot be read")
            }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\r\n") { text.removeLast(1) } else if text.hasSuffix("\n") { text.removeLast() }
            guard !text.isEmpty else { throw failure(ref, "in \(directory) is empty") }
            return text
        }
        let searched =
            directories.isEmpty
            ? "no credential directory is configured" : "searched \(directories.joined(separator: ", "))"
        throw failure(ref, "was not found (\(searched))")
    }

    private func failure(_ ref: String, _ reason: String) -> AWSError {
        AWSError.credentials("credential '\(ref)' \(reason)", retryable: false)
    }
}
