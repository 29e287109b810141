import Glibc
import SafeText

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
            // By scalar: a `=` or `:` followed by a combining mark is one Character, which a
            // search by Character would not find.
            let scalars = text.unicodeScalars
            guard let equals = scalars.firstIndex(of: "=") else {
                throw Failure("--env \(ShownText.escaped(text)): expected VAR=CONNECTOR:NAME[#KEY]")
            }
            let variable = String(scalars[..<equals])
            guard Self.isValidVariable(variable) else {
                throw Failure(
                    "--env: \(ShownText.quoted(variable, limit: 64)) is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
            }
            let source = scalars[scalars.index(after: equals)...]
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
    /// The command and its arguments, byte for byte (``ProcessArguments/trailing(_:of:)``); the
    /// command is looked up in `PATH` unless it holds a `/`.
    public var command: [[UInt8]]
    /// The environment the command gets, the fetched values added: `NAME=value` entries as bytes,
    /// in order, exactly as the caller's (``processEnvironment()``, normally).
    public var environment: [[UInt8]]
    /// Runs the `execve` (the closure) on a thread whose signal mask and nice value are the
    /// process's own, and returns what it returns: the calling thread, unless that is a Dispatch
    /// worker thread (the full binary runs commands on one), which blocks most signals and has
    /// a nice value of its own, both of which a command would inherit (a unit's `Nice=` lost, a
    /// `systemctl stop` ignored).
    public var execThread: @Sendable (_ exec: @escaping @Sendable () -> Int32) -> Int32

    public init(
        getter: SecretFetcher, bindings: [Binding], command: [[UInt8]], environment: [[UInt8]],
        execThread: @escaping @Sendable (_ exec: @escaping @Sendable () -> Int32) -> Int32 = { $0() }
    ) {
        self.getter = getter
        self.bindings = bindings
        self.command = command
        self.environment = environment
        self.execThread = execThread
    }

    /// Fetches the values one after another and builds the command's environment (the caller's
    /// entries in order, but those of the bound names, then the bound ones), or says why not (the
    /// first failure; its status is 1, or 69 when the delegate cannot be reached).
    public func resolveEnvironment() -> Result<[[UInt8]], SecretFetcher.Failure> {
        if let twice = variableGivenTwice() { return .failure(twice) }
        var added: [[UInt8]] = []
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
            guard String(validating: value, as: UTF8.self) != nil else {
                return .failure(
                    SecretFetcher.Failure(
                        message: "the value is not UTF-8 (a binary secret? get writes its bytes)",
                        status: ExitStatus.taskFailed, subject: binding.variable))
            }
            added.append(Array(binding.variable.utf8) + [UInt8(ascii: "=")] + value)
        }
        let bound = Set(bindings.map { Array($0.variable.utf8) })
        return .success(environment.filter { !bound.contains(Array(Self.name(of: $0))) } + added)
    }

    /// A usage error for a variable bound twice, or nil.
    private func variableGivenTwice() -> SecretFetcher.Failure? {
        var variables = Set<String>()
        for binding in bindings where !variables.insert(binding.variable).inserted {
            return SecretFetcher.Failure(message: "--env \(binding.variable) is given twice", status: ExitStatus.usage)
        }
        return nil
    }

    /// Fetches every value and `execve`s the command; returns only if that could not happen, with
    /// why (its text is the whole line after `secrets-delegate: `).
    public func run() -> SecretFetcher.Failure {
        guard let first = command.first else {
            return SecretFetcher.Failure(message: "exec needs a COMMAND", status: ExitStatus.usage)
        }
        // A usage error before anything else, as the full binary's parser finds it.
        if let twice = variableGivenTwice() { return twice }
        // Shown escaped in messages, as every error line is (a terminal's, or the journal's).
        let program = ShownText.escaped(String(decoding: first, as: UTF8.self))
        // Before any value is read: a mistyped command costs no reads (each one audited).
        guard ProgramSearch.exists(first) else {
            return SecretFetcher.Failure(message: "\(program): command not found", status: Self.commandNotFound)
        }
        let resolved: [[UInt8]]
        switch resolveEnvironment() {
        case .success(let entries): resolved = entries
        case .failure(let failure): return failure
        }
        let command = self.command
        let failure = execThread { Self.execute(arguments: command, environment: resolved) }
        // As the shells: found nowhere is 127, found but not run (not executable, ...) 126, and
        // found but its #! interpreter or program loader missing (execve's ENOENT) 127 again, as
        // bash, dash and env(1) say. Whether it was found is asked of the file system: errno
        // cannot say. (Asked again: it may have gone while the values were read.)
        guard ProgramSearch.exists(first) else {
            return SecretFetcher.Failure(message: "\(program): command not found", status: Self.commandNotFound)
        }
        if failure == ENOENT {
            return SecretFetcher.Failure(
                message: "cannot run \(program): its #! interpreter or its program loader does not exist",
                status: Self.commandNotFound)
        }
        return SecretFetcher.Failure(
            message: "cannot run \(program): \(String(cString: strerror(failure)))", status: Self.commandNotExecutable)
    }

    /// This process's environment, entry by entry, byte for byte.
    public static func processEnvironment() -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var entry = environ
        while let pointer = entry.pointee {
            entries.append(Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))))
            entry += 1
        }
        return entries
    }

    /// A NUL-terminated copy of `bytes` (which hold no NUL: they come from `argv` or `environ`, or
    /// were checked), to `deallocate()`.
    private static func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: raw.count) }
        }
        copy[bytes.count] = 0
        return copy
    }

    /// An entry's name: up to its first `=` (all of it when it has none).
    private static func name(of entry: [UInt8]) -> ArraySlice<UInt8> {
        entry.prefix { $0 != UInt8(ascii: "=") }
    }

    /// As env(1) and the shells: the command (or its #! interpreter) was not found (127), or
    /// found but not run (126).
    public static let commandNotFound: Int32 = 127
    public static let commandNotExecutable: Int32 = 126

    /// Replaces the process with `arguments[0]` as execvp(3) finds and runs it (the program itself
    /// if it holds a `/`, else the first of that name in this process's `PATH`; a file without `#!`
    /// run by `/bin/sh`), as env(1) does; returns `errno` if that fails, that of the last place
    /// tried (whether the command was found is ``ProgramSearch/exists(_:)``'s to say). The C
    /// copies of the environment made here are wiped before they are freed (`explicit_bzero`, which
    /// the compiler does not drop as a dead store): they hold the values. (The Swift strings they
    /// came from are not: the process exits at once when the command cannot run.)
    private static func execute(arguments: [[UInt8]], environment: [[UInt8]]) -> Int32 {
        let argv = arguments.map(cString) + [nil]
        let envp = environment.map(cString) + [nil]
        defer {
            for pointer in argv { pointer?.deallocate() }
            for pointer in envp {
                if let pointer {
                    explicit_bzero(pointer, strlen(pointer))
                    pointer.deallocate()
                }
            }
        }
        fflush(nil)
        _ = ProgramSearch.execute(argv[0]!, argv, envp)
        return errno
    }
}
