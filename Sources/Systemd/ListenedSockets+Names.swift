internal import CSystemd
internal import Glibc

extension ListenedSockets {
    /// One inherited listening socket: its descriptor, the `FileDescriptorName=` systemd gave it,
    /// and the path it is bound to (empty when unknown or abstract).
    public struct Named: Sendable, Equatable {
        public var descriptor: Int32
        public var name: String
        public var path: String

        public init(descriptor: Int32, name: String, path: String) {
            self.descriptor = descriptor
            self.name = name
            self.path = path
        }
    }

    /// The inherited sockets, told apart: the credentials socket (section 11) and the task sockets.
    public struct Assignment: Sendable, Equatable {
        /// Task sockets, in the order the socket units list them; the daemon serves the first.
        public var task: [Int32]
        /// The credentials socket, when one was passed.
        public var credentials: Int32?

        public init(task: [Int32] = [], credentials: Int32? = nil) {
            self.task = task
            self.credentials = credentials
        }
    }

    /// The `FileDescriptorName=` that marks the credentials socket.
    public static let credentialsName = "credentials"

    /// The socket named ``credentialsName`` is the credentials socket; failing a name, one bound
    /// to `credentialsPath` (when not empty) is. Every other socket is a task socket.
    public static func assign(_ sockets: [Named], credentialsPath: String) -> Assignment {
        let credentials =
            sockets.first { $0.name == credentialsName }
            ?? sockets.first { !credentialsPath.isEmpty && $0.path == credentialsPath }
        return Assignment(
            task: sockets.filter { $0.descriptor != credentials?.descriptor }.map(\.descriptor),
            credentials: credentials?.descriptor)
    }

    /// Takes the inherited listening Unix stream sockets with their names
    /// (`sd_listen_fds_with_names(3)`) and assigns them as ``assign(_:credentialsPath:)`` does.
    /// An empty assignment means no socket activation.
    public static func takeAssigned(credentialsPath: String, unsetEnvironment: Bool = true) throws(SystemdError)
        -> Assignment
    {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(unsetEnvironment ? 1 : 0, &names)
        if count < 0 {
            throw SystemdError(
                code: .listenFDsFailed, message: "could not read the sockets passed by systemd (LISTEN_FDS)",
                errno: -count)
        }
        var fdNames: [String] = []
        if let names {
            for index in 0..<Int(count) {
                fdNames.append(names[index].map { String(cString: $0) } ?? "")
                free(names[index])
            }
            free(names)
        }
        let listening = try unixStreamListeners(among: firstDescriptor..<(firstDescriptor + count))
        let sockets = listening.map { descriptor in
            let index = Int(descriptor - firstDescriptor)
            return Named(
                descriptor: descriptor, name: index < fdNames.count ? fdNames[index] : "",
                path: boundPath(descriptor))
        }
        return assign(sockets, credentialsPath: credentialsPath)
    }

    /// The filesystem path a Unix socket is bound to; empty for an abstract or unbound one.
    static func boundPath(_ descriptor: Int32) -> String {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return "" }
        return withUnsafeBytes(of: &address.sun_path) { raw in
            guard let first = raw.first, first != 0 else { return "" }
            return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
