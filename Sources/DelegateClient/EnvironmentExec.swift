import Glibc

/// `secrets-delegate exec` (docs/INTERFACE.md section 10): fetches every `--env` value through
/// the delegate, then replaces this process with the command, those values added to its
/// environment. If any value cannot be had, the command is not run.
///
/// Values are never printed: a failure names the variable and the error code. Both binaries run
/// it: the front binary for a plain `exec --socket` (``ExecCommandLine``), the full binary for
/// the rest.
public struct EnvironmentExec: Sendable {
    /// One `--env VAR=CONNECTOR:NAME[#KEY]`.
    public struct Binding: Sendable, Equatable {
        public var variable: String
        public var connector: String
        public var name: String

        /// Parses `VAR=CONNECTOR:NAME[#KEY]`; the connector ends at the first `:` (connector ids
        /// have none), so NAME may be an ARN.
        public init(parsing text: String) throws(Failure) {
            guard let equals = text.firstIndex(of: "=") else {
                throw Failure("--env \(text): expected VAR=CONNECTOR:NAME[#KEY]")
            }
            let variable = String(text[..<equals])
            guard Self.isValidVariable(variable) else {
                throw Failure(
                    "--env: \(variable.debugDescription) is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
            }
            let source = text[text.index(after: equals)...]
            guard let colon = source.firstIndex(of: ":"), colon != source.startIndex,
                source.index(after: colon) != source.endIndex
            else {
                throw Failure("--env \(variable): expected \(variable)=CONNECTOR:NAME[#KEY]")
            }
            self.variable = variable
            self.connector = String(source[..<colon])
            self.name = String(source[source.index(after: colon)...])
        }

        static func isValidVariable(_ name: String) -> Bool {
            guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
            return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (0x30...0x39).contains($0) }
        }

        private static func isLetter(_ byte: UInt8) -> Bool {
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
    }

    /// A usage error in the `--env` arguments (exit 64).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public var getter: SecretFetcher
    public var bindings: [Binding]
    /// The command and its arguments; the command is looked up in `PATH` unless it holds a `/`.
    public var command: [String]
    /// The environment the command gets, the fetched values added (the caller's own, normally).
    public var environment: [String: String]

    public init(getter: SecretFetcher, bindings: [Binding], command: [String], environment: [String: String]) {
        self.getter = getter
        self.bindings = bindings
        self.command = command
        self.environment = environment
    }

    /// Fetches the values one after another and builds the command's environment, or says why
    /// not (the first failure; its status is 1, or 69 when the delegate cannot be reached).
    public func resolveEnvironment() -> Result<[String: String], SecretFetcher.Failure> {
        var variables = Set<String>()
        for binding in bindings where !variables.insert(binding.variable).inserted {
            return .failure(
                SecretFetcher.Failure(message: "--env \(binding.variable) is given twice", status: ExitStatus.usage))
        }
        var resolved = environment
        for binding in bindings {
            let value: [UInt8]
            do {
                value = try getter.value(connector: binding.connector, name: binding.name)
            } catch {
                return .failure(
                    SecretFetcher.Failure(
                        code: error.code, message: error.message, status: error.status, subject: binding.variable))
            }
            guard !value.contains(0) else {
                return .failure(
                    SecretFetcher.Failure(
                        message: "the value holds a NUL byte, which an environment variable cannot hold",
                        status: ExitStatus.taskFailed, subject: binding.variable))
            }
            guard let text = String(validating: value, as: UTF8.self) else {
                return .failure(
                    SecretFetcher.Failure(
                        message: "the value is not UTF-8", status: ExitStatus.taskFailed, subject: binding.variable))
            }
            resolved[binding.variable] = text
        }
        return .success(resolved)
    }

    /// Fetches every value and `execve`s the command; returns only if that could not happen, with
    /// why (its text is the whole line after `secrets-delegate: `).
    public func run() -> SecretFetcher.Failure {
        guard let program = command.first else {
            return SecretFetcher.Failure(message: "exec needs a COMMAND", status: ExitStatus.usage)
        }
        let resolved: [String: String]
        switch resolveEnvironment() {
        case .success(let variables): resolved = variables
        case .failure(let failure): return failure
        }
        guard let path = Self.executablePath(program, searchPath: environment["PATH"]) else {
            return SecretFetcher.Failure(message: "\(program): command not found", status: Self.commandNotFound)
        }
        let failure = Self.execute(path: path, arguments: command, environment: resolved)
        return SecretFetcher.Failure(
            message: "cannot run \(program): \(String(cString: strerror(failure)))",
            status: failure == ENOENT ? Self.commandNotFound : Self.commandNotExecutable)
    }

    /// This process's environment, as `exec` hands it on: of a name given twice, the first entry,
    /// which `getenv` reads.
    public static func processEnvironment() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "="), variables[String(text[..<equals])] == nil {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
    }

    /// As env(1) and the shells: the command was not found (127), or found but not run (126).
    public static let commandNotFound: Int32 = 127
    public static let commandNotExecutable: Int32 = 126

    /// `program` if it holds a `/`, else the first executable file of that name in `searchPath`
    /// (execvp's default when `PATH` is unset).
    static func executablePath(_ program: String, searchPath: String?) -> String? {
        if program.contains("/") { return program }
        guard !program.isEmpty else { return nil }
        for directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(
            separator: ":", omittingEmptySubsequences: false)
        {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Replaces the process; returns `errno` if `execve` fails.
    private static func execute(path: String, arguments: [String], environment: [String: String]) -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp {
                if let pointer { memset(pointer, 0, strlen(pointer)) }
                free(pointer)
            }
        }
        fflush(nil)
        _ = execve(path, argv, envp)
        return errno
    }
}
