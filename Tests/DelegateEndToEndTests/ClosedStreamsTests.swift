import Foundation
import TestSupport
import Testing

/// A parent that closed standard input and output: what `get` writes to "stdout" must fail (exit
/// 74), not go to whatever descriptor took number 1 (the full binary's libdispatch opens an
/// eventfd, which takes eight bytes without an error: an eight-character value was lost, exit 0).
@Suite struct ClosedStreamsTests {
    @Test func getWithStdoutClosedSaysItCouldNotWrite() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-closed")
        let fake = try FakeDelegateSocket(path: directory.path("d.sock")) { task in
            FakeDelegateSocket.succeeded(task, result: #"{"name":"db","secretString":"hunter42"}"#)
        }
        for binary in [try DaemonProcess.binaryPath(), try DaemonProcess.fullBinaryPath()] {
            let ran = try await ChildProcess.run(
                "/bin/sh", ["-c", #"exec "$0" get --socket "$1" prod db 0<&- 1>&-"#, binary, fake.path])
            #expect(ran.termination == .exited(74), "\(binary): \(ran.errorOutput)")
            #expect(ran.errorOutput.contains("Bad file descriptor"), "\(binary): \(ran.errorOutput)")
            #expect(!ran.errorOutput.contains("hunter42"))
        }
        #expect(fake.tasks.count == 2, "both asked the delegate: the value was there to lose")
    }
}
