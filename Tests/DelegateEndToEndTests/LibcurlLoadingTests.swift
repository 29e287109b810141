import Foundation
import Synchronization
import TestSupport
import Testing

/// libcurl is opened at the first HTTP client, not linked (`CCurlShim`): commands that only
/// talk to the delegate's socket start without its ~30 libraries, and a host without libcurl
/// gets a clear error from the daemon instead of a loader failure before `main`.
@Suite struct LibcurlLoadingTests {
    /// `get` only talks to the socket, so it never maps libcurl and its dependencies (opened
    /// at the first HTTP client instead: a third of a `get`'s start-up). The client's memory
    /// map is read while it waits for its result.
    @Test func getDoesNotLoadLibcurl() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-get-maps")
        let maps = Mutex<String?>(nil)
        let fake = try FakeDelegateSocket(path: directory.path("d.sock")) { task, peer in
            maps.withLock { $0 = Self.wholeFile("/proc/\(peer)/maps") }
            return FakeDelegateSocket.succeeded(task, result: #"{"name":"db","secretString":"v"}"#)
        }
        let binary = try DaemonProcess.binaryPath()
        let ran = try await ChildProcess.run(binary, ["get", "--socket", fake.path, "prod", "db"])
        #expect(ran.termination == .exited(0), "\(ran.errorOutput)")
        #expect(ran.output == "v")
        let seen = try #require(maps.withLock { $0 })
        let realBinary = URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
        #expect(seen.contains(realBinary), "the map read is the client's")
        #expect(seen.contains("/libc.so.6"), "the map lists the shared libraries the client uses")
        #expect(seen.contains("[stack]"), "the whole map was read")
        #expect(!seen.contains("libcurl"))
    }

    /// A /proc file read to its end (its size says 0, so Foundation's readers may stop short).
    private static func wholeFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var bytes = Data()
        while let chunk = try? handle.read(upToCount: 65536), !chunk.isEmpty { bytes.append(chunk) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// With libcurl.so.4 unloadable (a mount namespace puts an empty file over it; this needs
    /// root, as `make test` is run), the daemon stops at start with status 69 and says why.
    @Test func theDaemonSaysSoWhenLibcurlCannotBeLoaded() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-nocurl")
        let configuration = directory.path("delegate.toml")
        try """
            [delegate]
            name = "nocurl"
            [queue]
            spool_dir = "\(directory.path("spool"))"
            socket_path = "\(directory.path("d.sock"))"
            credentials_socket_path = ""
            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        // The file the loader would open, wherever this machine keeps it.
        let cache = try await ChildProcess.run("/sbin/ldconfig", ["-p"])
        let listed = try #require(
            cache.output.split(separator: "\n").first { $0.contains("libcurl.so.4 ") && $0.contains("=> ") },
            "ldconfig -p lists no libcurl.so.4")
        let path = String(listed[try #require(listed.range(of: "=> ")).upperBound...])
        let library = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        #expect(FileManager.default.fileExists(atPath: library))
        let ran = try await ChildProcess.run(
            "/usr/bin/unshare",
            [
                "-m", "/bin/sh", "-c", #"mount --bind /dev/null "$1" && exec timeout 30 "$2" run --config "$3""#,
                "sh", library, try DaemonProcess.binaryPath(), configuration,
            ])
        #expect(ran.termination == .exited(69), "\(ran.errorOutput)")
        #expect(ran.errorOutput.contains("libcurl could not be loaded: "))
        #expect(ran.errorOutput.contains("libcurl.so.4"), "the reason names the library")
    }
}
