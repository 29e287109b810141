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

    /// The inherited descriptors, told apart: the credentials socket (section 11), the task socket,
    /// and what the daemon does not serve.
    public struct Assignment: Sendable, Equatable {
        /// The task socket: the first listening socket that is not the credentials socket.
        public var task: Int32?
        /// The path the task socket is bound to (empty when unknown or abstract).
        public var taskPath: String
        /// The credentials socket, when one was passed.
        public var credentials: Int32?
        /// Listening sockets after the task socket: the daemon serves one task socket.
        public var extraTask: [Named]
        /// Sockets named ``credentialsName`` after the first: the daemon serves one credentials
        /// socket, and never serves one so named as the task socket (only root may reach it, and
        /// systemd's helper would get the task protocol's answers).
        public var extraCredentials: [Named]
        /// Descriptors that are not listening Unix stream sockets (a `ListenDatagram=`, a TCP
        /// `ListenStream=`, a FIFO): never served.
        public var unusable: [Named]

        public init(
            task: Int32? = nil, taskPath: String = "", credentials: Int32? = nil, extraTask: [Named] = [],
            extraCredentials: [Named] = [], unusable: [Named] = []
        ) {
            self.task = task
            self.taskPath = taskPath
            self.credentials = credentials
            self.extraTask = extraTask
            self.extraCredentials = extraCredentials
            self.unusable = unusable
        }

        /// What was passed but is not served, in descriptor order.
        public var ignored: [Named] {
            (extraTask + extraCredentials + unusable).sorted { $0.descriptor < $1.descriptor }
        }
    }

    /// The `FileDescriptorName=` that marks the credentials socket.
    public static let credentialsName = "credentials"

    /// The socket named ``credentialsName`` is the credentials socket; failing a name, one bound
    /// to `credentialsPath` (when not empty: as spelt, or the same file under another spelling,
    /// such as `/var/run/x.sock` for the `/run/x.sock` systemd binds) is. The first other socket
    /// not so named is the task socket, and any after it are extra (as are further sockets named
    /// ``credentialsName``).
    public static func assign(_ sockets: [Named], credentialsPath: String) -> Assignment {
        let wanted = credentialsPath.isEmpty ? nil : FileIdentity(path: credentialsPath)
        let credentials =
            sockets.first { $0.name == credentialsName }
            ?? sockets.first {
                !credentialsPath.isEmpty
                    && ($0.path == credentialsPath || (wanted != nil && FileIdentity(path: $0.path) == wanted))
            }
        var assignment = Assignment(credentials: credentials?.descriptor)
        for socket in sockets where socket.descriptor != credentials?.descriptor {
            if socket.name == credentialsName {
                assignment.extraCredentials.append(socket)
            } else if assignment.task == nil {
                assignment.task = socket.descriptor
                assignment.taskPath = socket.path
            } else {
                assignment.extraTask.append(socket)
            }
        }
        return assignment
    }

    /// Takes the descriptors systemd passed with their names (`sd_listen_fds_with_names(3)`):
    /// the listening Unix stream sockets are assigned as ``assign(_:credentialsPath:)`` does, and
    /// the rest are ``Assignment/unusable``. An empty assignment means no socket activation.
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
        let passed = firstDescriptor..<(firstDescriptor + count)
        let listening = Set(try unixStreamListeners(among: passed))
        let named = passed.map { descriptor in
            let index = Int(descriptor - firstDescriptor)
            return Named(
                descriptor: descriptor, name: index < fdNames.count ? fdNames[index] : "",
                path: boundPath(descriptor))
        }
        var assignment = assign(named.filter { listening.contains($0.descriptor) }, credentialsPath: credentialsPath)
        assignment.unusable = named.filter { !listening.contains($0.descriptor) }
        return assignment
    }

    /// The filesystem path a Unix socket is bound to; empty for an abstract or unbound one, and
    /// for anything that is not a Unix socket.
    public static func boundPath(_ descriptor: Int32) -> String {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0, address.sun_family == sa_family_t(AF_UNIX) else { return "" }
        return withUnsafeBytes(of: &address.sun_path) { raw in
            guard let first = raw.first, first != 0 else { return "" }
            return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
