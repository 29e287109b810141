import Foundation
import Synchronization
import TestSupport
import Testing

/// libcurl is opened at the first HTTP request, not linked (`CCurlShim`): commands that only
/// talk to the delegate's socket start without its ~30 libraries, an idle daemon has not mapped
/// them, and a host without libcurl gets a clear error instead of a loader failure before `main`.
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

    /// The daemon opens libcurl at its first AWS call, not at start: an idle delegate maps
    /// neither libcurl nor its libraries (about 6 MB of resident memory) and runs no curl thread.
    @Test func theDaemonOpensLibcurlAtItsFirstAWSCall() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-latecurl")
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(
                status: 200,
                body: #"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","Name":"db","SecretString":"v","VersionId":"v1","VersionStages":["AWSCURRENT"],"CreatedDate":1700000000}"#
            )
        }
        defer { server.stop() }
        let daemon = try Self.daemon(in: directory, endpoint: server.baseURL)
        try daemon.start()
        defer { daemon.signal(SIGKILL) }
        try await daemon.waitForStderr(containing: "event=ready", timeout: .seconds(90))
        let idle = try #require(Self.wholeFile("/proc/\(daemon.pid)/maps"))
        #expect(idle.contains("/libc.so.6"), "the map read is a whole one")
        #expect(!idle.contains("libcurl"), "an idle daemon has mapped libcurl")
        #expect(!Self.threadNames(of: daemon.pid).contains("curl-multi"))

        try SpoolDirectory(path: directory.path("spool")).enqueue(raw: Self.task(id: "first"), fileName: "first.json")
        let result = try await SpoolDirectory(path: directory.path("spool")).waitForResult(id: "first")
        #expect(result["status"] as? String == "succeeded", "\(result)")
        #expect(server.requestsServed == 1)
        let used = try #require(Self.wholeFile("/proc/\(daemon.pid)/maps"))
        #expect(used.contains("libcurl.so.4"), "the first AWS call opened libcurl")
        #expect(Self.threadNames(of: daemon.pid).contains("curl-multi"))
        let status = try await ChildProcess.run(
            try DaemonProcess.binaryPath(), ["status", "--socket", directory.path("d.sock")])
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any], "\(status.output)")
        #expect(report["name"] as? String == "latecurl")
        #expect(report["httpError"] == nil, "httpError is there only when HTTP cannot start")
        #expect(try await daemon.stop() == .exited(0))
    }

    /// With libcurl.so.4 unloadable (a mount namespace puts an empty file over it; this needs
    /// root, as `make test` is run), the daemon still starts (it needs libcurl only for AWS
    /// calls); each task fails saying why (the load is not tried again), the log says so once,
    /// and the daemon stops cleanly.
    @Test func aTaskSaysSoWhenLibcurlCannotBeLoaded() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-nocurl")
        let result = try await Self.runTasks(in: directory, withLibcurlReplacedBy: "/dev/null")
        for task in result.tasks {
            let message = try #require((task["error"] as? [String: Any])?["message"] as? String, "\(task)")
            #expect(task["status"] as? String == "failed")
            #expect((task["error"] as? [String: Any])?["code"] as? String == "EndpointUnreachable")
            #expect(message.contains("libcurl could not be loaded: "), "\(message)")
            #expect(message.contains("libcurl.so.4"), "the reason names the library")
        }
        #expect(
            result.log.components(separatedBy: "the HTTP client could not start").count - 1 == 1,
            "not logged exactly once: \(result.log)")
        // secrets-delegate status and systemctl status show it: STATUS= leads with it.
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.status.utf8)) as? [String: Any], "\(result.status)")
        #expect((report["httpError"] as? String)?.hasPrefix("libcurl could not be loaded: ") == true, "\(report)")
        #expect(
            result.statuses.contains { $0.hasPrefix("STATUS=AWS calls failing: libcurl could not be loaded: ") },
            "\(result.statuses)")
        #expect(result.termination == .exited(0), "\(result.log)")
    }

    /// A libcurl older than 7.85.0 (CURLOPT_PROTOCOLS_STR) is refused the same way, naming the
    /// version found. The stand-in is a library built here with every function the delegate
    /// looks up, whose `curl_version_info` says 7.84.0.
    @Test func aTaskSaysSoWhenLibcurlIsOlderThan7850() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-oldcurl")
        let functions = [
            "curl_global_init", "curl_easy_strerror", "curl_easy_init", "curl_easy_cleanup", "curl_easy_reset",
            "curl_easy_setopt", "curl_easy_getinfo", "curl_multi_init", "curl_multi_cleanup", "curl_multi_setopt",
            "curl_multi_add_handle", "curl_multi_remove_handle", "curl_multi_perform", "curl_multi_poll",
            "curl_multi_wakeup", "curl_multi_info_read", "curl_multi_strerror", "curl_share_init",
            "curl_share_cleanup", "curl_share_setopt", "curl_share_strerror", "curl_slist_append",
            "curl_slist_free_all",
        ]
        // `curl_version_info_data` begins with age, version text, version number (curl/curl.h).
        let source =
            functions.map { "void *\($0)(void) { return 0; }\n" }.joined()
            + """
            struct version { int age; const char *version; unsigned int version_num; };
            static struct version old = { 0, "7.84.0", 0x075400 };
            void *curl_version_info(int which) { (void)which; return &old; }

            """
        try source.write(toFile: directory.path("oldcurl.c"), atomically: true, encoding: .utf8)
        let compiler = try #require(Self.cCompiler(), "no C compiler (clang, as the Swift toolchain has, or cc)")
        let built = try await ChildProcess.run(
            compiler, ["-shared", "-fPIC", "-o", directory.path("libcurl.so.4"), directory.path("oldcurl.c")])
        try #require(built.termination == .exited(0), "\(built.errorOutput)")

        let result = try await Self.runTasks(in: directory, withLibcurlReplacedBy: directory.path("libcurl.so.4"))
        let message = try #require(
            (result.tasks.first?["error"] as? [String: Any])?["message"] as? String, "\(result.tasks)")
        #expect(
            message.contains("libcurl could not be loaded: libcurl.so.4 is 7.84.0; 7.85.0 or later is needed"),
            "\(message)")
        #expect(result.termination == .exited(0), "\(result.log)")
    }

    /// A daemon with a small configuration in `directory`: a spool, keys by reference, and the
    /// Secrets Manager endpoint `endpoint`.
    private static func daemon(
        in directory: TemporaryDirectory, endpoint: String, launcher: [String] = [], environment: [String: String] = [:]
    ) throws -> DaemonProcess {
        let credentials = directory.path("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        for (name, value) in [("k-id", "AKIDLATECURL"), ("k-secret", "late-curl-secret")] {
            try value.write(toFile: credentials + "/" + name, atomically: true, encoding: .utf8)
            chmod(credentials + "/" + name, 0o600)
        }
        return try DaemonProcess(
            configuration: """
                [delegate]
                name = "latecurl"
                [queue]
                spool_dir = "\(directory.path("spool"))"
                socket_path = "\(directory.path("d.sock"))"
                credentials_socket_path = ""
                [aws]
                secretsmanager_endpoint = "\(endpoint)"
                [identity]
                sources = ["environment"]
                [credentials]
                directory = "\(credentials)"
                """,
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, directory: directory,
            launcher: launcher)
    }

    /// A GetSecretValue task for the keys `daemon(in:endpoint:)` stores.
    private static func task(id: String) -> Data {
        Data(
            #"{"id":"\#(id)","operation":"getSecretValue","params":{"name":"db"},"connector":{"id":"c","region":"us-east-1","credentials":{"type":"accessKey","accessKeyIdRef":"k-id","secretAccessKeyRef":"k-secret"}}}"#
                .utf8)
    }

    /// Runs the daemon in a mount namespace where `replacement` is mounted over the
    /// libcurl.so.4 the loader would open, hands it two tasks, one after the other, and stops
    /// it: their results, its log and how it ended.
    private static func runTasks(
        in directory: TemporaryDirectory, withLibcurlReplacedBy replacement: String
    ) async throws -> (
        tasks: [[String: Any]], log: String, statuses: [String], status: String,
        termination: ChildProcess.Termination
    ) {
        // The file the loader would open, wherever this machine keeps it.
        let cache = try await ChildProcess.run("/sbin/ldconfig", ["-p"])
        let listed = try #require(
            cache.output.split(separator: "\n").first { $0.contains("libcurl.so.4 ") && $0.contains("=> ") },
            "ldconfig -p lists no libcurl.so.4")
        let path = String(listed[try #require(listed.range(of: "=> ")).upperBound...])
        let library = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        #expect(FileManager.default.fileExists(atPath: library))
        // exec: the stand-in may live on a file system mounted noexec (TMPDIR).
        let launcher = [
            "/usr/bin/unshare", "-m", "/bin/sh", "-c",
            #"mount --bind "$1" "$2" && mount -o remount,bind,exec "$2" && shift 2 && exec "$@""#,
            "sh", replacement, library,
        ]
        let notify = try NotifySocketListener()
        let daemon = try Self.daemon(
            in: directory, endpoint: "http://127.0.0.1:9", launcher: launcher,
            environment: ["NOTIFY_SOCKET": notify.path])
        try daemon.start()
        defer { daemon.signal(SIGKILL) }
        try await daemon.waitForStderr(containing: "event=ready", timeout: .seconds(90))
        let spool = SpoolDirectory(path: directory.path("spool"))
        var results: [[String: Any]] = []
        for id in ["nocurl-1", "nocurl-2"] {
            try spool.enqueue(raw: Self.task(id: id), fileName: "\(id).json")
            results.append(try await spool.waitForResult(id: id))
        }
        // The status line is sent every 2 s when it changes; a loaded host may take far longer,
        // and a status never sent fails here, by name.
        _ = try await notify.waitForDatagram(timeout: .seconds(90)) { $0.contains("STATUS=AWS calls failing") }
        let status = try await ChildProcess.run(
            try DaemonProcess.binaryPath(), ["status", "--socket", directory.path("d.sock")])
        let termination = try await daemon.stop()
        let log = String(decoding: FileManager.default.contents(atPath: daemon.stderrPath) ?? Data(), as: UTF8.self)
        return (results, log, notify.assignments.filter { $0.hasPrefix("STATUS=") }, status.output, termination)
    }

    /// The names of the process's threads (`/proc/PID/task/TID/comm`).
    private static func threadNames(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { wholeFile("/proc/\(pid)/task/\($0)/comm")?.trimmingCharacters(in: .newlines) }
    }

    /// The clang of the Swift toolchain these tests run on (found from where its runtime library
    /// is mapped in this process, `<toolchain>/usr/lib/swift/linux/libswiftCore.so`), else a
    /// clang on PATH, else the system's cc.
    private static func cCompiler() -> String? {
        var candidates: [String] = []
        if let maps = wholeFile("/proc/self/maps"),
            let line = maps.split(separator: "\n").first(where: { $0.hasSuffix("/lib/swift/linux/libswiftCore.so") }),
            let slash = line.firstIndex(of: "/")
        {
            let library = URL(fileURLWithPath: String(line[slash...]))
            // .../usr/lib/swift/linux/libswiftCore.so -> .../usr/bin/clang
            let usr = library.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            candidates.append(usr.appendingPathComponent("bin/clang").path)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        candidates += path.split(separator: ":").map { "\($0)/clang" } + ["/usr/bin/cc", "/usr/bin/clang"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
