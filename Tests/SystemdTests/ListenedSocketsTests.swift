import Foundation
import Glibc
@testable import Systemd
import Testing

@Suite struct ListenedSocketsTests {
    @Test func withoutSocketActivationThereAreNoSockets() throws {
        #expect(ProcessInfo.processInfo.environment["LISTEN_FDS"] == nil)
        #expect(try ListenedSockets.take(unsetEnvironment: false) == [])
    }

    @Test func onlyListeningUnixStreamSocketsAreTaken() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("listen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let listening = try unixSocket(type: SOCK_STREAM, bindTo: directory.path + "/s.sock", listen: true)
        let unbound = try unixSocket(type: SOCK_STREAM, bindTo: nil, listen: false)
        let datagram = try unixSocket(type: SOCK_DGRAM, bindTo: directory.path + "/d.sock", listen: false)
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { [listening, unbound, datagram, tcp].forEach { _ = close($0) } }
        try #require(tcp >= 0)
        try #require(Glibc.listen(tcp, 1) == 0)  // listens on an ephemeral loopback-or-any port

        #expect(try ListenedSockets.unixStreamListeners(among: listening..<(listening + 1)) == [listening])
        #expect(try ListenedSockets.unixStreamListeners(among: unbound..<(unbound + 1)) == [])
        #expect(try ListenedSockets.unixStreamListeners(among: datagram..<(datagram + 1)) == [])
        #expect(try ListenedSockets.unixStreamListeners(among: tcp..<(tcp + 1)) == [])
    }

    @Test func onlyAUnixSocketHasABoundPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bound-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/s.sock"
        let unix = try unixSocket(type: SOCK_STREAM, bindTo: path, listen: true)
        let unbound = try unixSocket(type: SOCK_STREAM, bindTo: nil, listen: false)
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        defer { ([unix, unbound, tcp] + pipeEnds).forEach { _ = close($0) } }
        try #require(tcp >= 0)
        try #require(Glibc.listen(tcp, 1) == 0)

        #expect(ListenedSockets.boundPath(unix) == path)
        #expect(ListenedSockets.boundPath(unbound) == "")
        // A TCP socket's address is no path, though it fills the same buffer.
        #expect(ListenedSockets.boundPath(tcp) == "")
        #expect(ListenedSockets.boundPath(pipeEnds[0]) == "")
    }

    @Test func aClosedDescriptorIsAnError() {
        #expect(throws: SystemdError.self) {
            try ListenedSockets.unixStreamListeners(among: 1_000_000..<1_000_001)
        }
    }

    private func unixSocket(type: __socket_type, bindTo path: String?, listen: Bool) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(type.rawValue), 0)
        try #require(descriptor >= 0)
        if let path {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            try #require(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(bound == 0)
        }
        if listen {
            try #require(Glibc.listen(descriptor, 8) == 0)
        }
        return descriptor
    }
}
