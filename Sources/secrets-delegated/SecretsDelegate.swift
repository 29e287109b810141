import ArgumentParser
import Delegate
import DelegateClient
import Dispatch
import FoundationEssentials
import Glibc
import LineSocket

/// The full executable, `secrets-delegated`, which the `secrets-delegate` front binary becomes for
/// every command line but a plain `get --socket` or `exec --socket`: argument parsing only; the
/// work is in the `Delegate` library.
@main
struct SecretsDelegate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets-delegate",
        abstract: "A host agent that runs AWS Secrets Manager tasks for the connectors whose selectors it matches.",
        discussion: """
            Tasks arrive through a spool directory, a Unix socket or Amazon SQS queues ([sqs] queue_urls); \
            systemd units receive secrets as credentials with \
            LoadCredential=ID:/run/secrets-delegate/credentials.sock and a [[credential]] entry \
            (see the README and the contract, /usr/share/doc/secrets-delegate/INTERFACE.md). \
            Exit statuses: 0 success; 1 the task failed or was rejected (open: the result does not \
            authenticate); 64 usage (also an argument that is not \
            UTF-8, but for exec's command after --, and a --socket path no socket can have: empty, over 107 \
            bytes); 69 delegate unreachable \
            (or, from /usr/bin/secrets-delegate, the full binary cannot be run; the process cannot be made \
            non-dumpable; no key pair can be made; open and submit --seal: this host's libcrypto cannot open \
            the result (the result and the key may be fine); submit --sqs: HTTP or the queue failing; submit \
            --spool: a spool that is not there or this user may not write; submit --wait: no result within \
            --timeout; run: stopped by an error, or failing to start for a reason other than 78's); 74 standard output refused what the command prints (get's \
            value, a result, submit's line saying where the task went, keygen's public key, whose key file is \
            then removed; to a regular file, a write-back error at its sync), or the system failed to make keygen's key file or submit --spool's task file (a full disk or quota, an I/O error, a file size limit, a read-only file system, no memory); 126 and 127 exec's command cannot be run or is not found; 78 configuration error, or (run) a spool or a socket path the daemon cannot use: the message \
            names the path and what the daemon needs. The packaged unit does not restart the daemon after 78 (nor after 64, an option it does not take).
            """,
        version: DelegateVersion.current,
        subcommands: [
            Run.self, Submit.self, Get.self, Exec.self, CheckConfig.self, Status.self, Keygen.self, Open.self,
        ]
    )

    /// The entry point. With ArgumentParser's async `main()`, Swift's async entry would park the
    /// main thread in `dispatch_main()`, which ends it with `pthread_exit`: unwinding its stack
    /// reads the binary's unwind tables, and about 0.5 MB of them stayed resident for the life of
    /// the daemon. Here the command runs on the global executor while the main thread waits.
    /// Nothing in the delegate runs on the main actor or the main queue.
    static func main() {
        StandardStreams.keepOpen()
        if let problem = ProcessArguments.notUTF8Problem() {
            FileDescriptorWriter.writeAll(2, Array("secrets-delegate: \(problem)\n".utf8))
            Glibc.exit(ExitStatus.usage)
        }
        // `run` only: SIGHUP blocked before any other thread exists (under the packaged unit the
        // front binary has blocked it already), so every thread blocks it. Until the reload
        // service's signal source (a signalfd) reads it, a SIGHUP waits pending instead of
        // ending the daemon, and it is served once the delegate is ready. The other commands
        // keep SIGHUP's default: a `submit --wait` whose terminal hangs up ends.
        //
        // And SIGPIPE ignored: a hand run's stderr piped to a reader that has gone (`| head`, a
        // `| tee` its Ctrl-C ended) would otherwise end the daemon at its next log line, with no
        // graceful stop (systemd's IgnoreSIGPIPE= does this for the unit). Its lines are then
        // dropped; the daemon starts no child process that would inherit it.
        if CommandLine.arguments.dropFirst().first == "run" {
            FrontCommand.holdReloadSignal()
            signal(SIGPIPE, SIG_IGN)
        }
        Task.detached {
            await Self.main(nil)
            MainThread.finish()
        }
        // Until the command is done, the main thread does what only it can (`exec`'s execve).
        MainThread.serve()
        Glibc.exit(0)
    }
}

struct ConfigOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The configuration file.",
            discussion: """
                Without this option, /etc/secrets-delegate/delegate.toml; if there is none, the \
                defaults apply (a symbolic link to nothing there is an error). A file named here \
                must exist, where it is read: with --socket or --spool it is not read at all (a \
                mistyped path goes unnoticed).
                """,
            valueName: "FILE"))
    var config: String?

    var loader: ConfigurationLoader {
        ConfigurationLoader(
            explicitPath: config, environment: ProcessInfo.processInfo.environment,
            notUTF8Overrides: ConfigurationLoader.notUTF8Overrides(in: EnvironmentExec.processEnvironment()))
    }
}

/// Prints an outcome and exits with its status (74 if stdout refused the output).
func finish(_ outcome: CommandOutcome) throws -> Never {
    throw ExitCode(outcome.emit())
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the delegate in the foreground (systemd runs this).",
        discussion: """
            READY=1 is sent once every intake is open. Under socket activation it serves the socket \
            systemd names credentials (or, failing the name, the one bound to credentials_socket_path) as the \
            credentials socket and the first other listening Unix stream socket not named credentials as the task \
            socket; any other \
            descriptor systemd passes is not served, and the start logs socket-not-served naming it. The task socket \
            systemd passes is served whatever socket_path says; a path that differs (or "") is logged as \
            socket-path-differs. \
            SIGHUP re-reads the configuration (RELOADING=1, \
            then READY=1); one that arrives during start-up is served once the delegate is ready, one that \
            arrives during a stop is not served. A reload that changes the delegate's identity ([identity] \
            sources, imds_endpoint) drops the read cache's entries of instanceRole connectors; an access-key \
            connector's cached values are served only to the key id that read them. SIGTERM or SIGINT stops gracefully: STOPPING=1 and intake \
            closed, tasks in flight given 30 s, SQS results of finished tasks sent (until 73 s after the \
            signal at most), then exit 0; tasks still running then are cancelled: a spool task stays \
            claimed and runs again at the next start, an SQS task's message is made visible again. \
            SIGPIPE is ignored: log lines to a pipe whose reader has gone are dropped. \
            Under systemd records go to the journal as structured fields, control characters (but line feeds and \
            tabs) and bidirectional overrides in them shown as \\u{..} (text an endpoint sent, say: journalctl would show it as blob \
            data); run by hand, to standard error, one line each. [delegate] log_level (debug, info, notice, \
            warning or error; default info) names the least severe records written; a reload applies it. \
            An SQS task message that comes back after this delegate sent its result (its delete had not taken \
            effect) is deleted again, not run again, if it comes back within twice [sqs] visibility_seconds (or the \
            longest lease it was granted, if longer) and a minute of its result, its delete or its last return, \
            and is among the 10,000 messages most recently answered or returned (kept in memory only: a restart \
            forgets them; task-redelivered in the journal; status: queues.redelivered). \
            libcurl (libcurl.so.4, 7.85.0 or later) is opened at the first AWS call (with [sqs] queue_urls, \
            when polling starts), not at start and not linked, so a delegate that has made no AWS call maps \
            neither it nor its libraries: if it cannot be, or is older than 7.85.0, the journal says "the HTTP \
            client could not start" once and every task that calls AWS fails with EndpointUnreachable, \
            "... could not be reached: libcurl could not be loaded: ..." (naming IMDS or STS where the \
            credentials come from there) until a restart. \
            Once idle after a burst of work (a 2 s round with nothing finished or in flight), it gives \
            the memory malloc keeps free back to the kernel when that is 1 MiB or more.
            """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try finish(await DaemonLauncher.run(loader: options.loader))
    }
}

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Hand a task to a delegate through its socket, its spool or an SQS queue.",
        discussion: """
            Without --socket, --spool or --sqs, the configuration's socket_path (or else spool_dir) is used. \
            With --sqs, the task (which needs an id; to a FIFO queue also its deduplication id, so the same id \
            again within 5 minutes is dropped by the queue) is sent to that queue, signed with the configuration's \
            identity ([identity] sources in their order; by default environment credentials, then IMDS) and its [aws] max_attempts and \
            timeouts (each request's plus the 5 s a receive waits; a producer outside the secrets-delegate group, \
            which alone may read the packaged configuration, gives --config with a file of its own); with --wait, the result is taken \
            from the reply queue (--reply-queue, else the task's replyTo, else [sqs] result_queue_url): only the \
            message whose taskId is this task's, whose taskMessageId (when set; not for a FIFO task queue) is \
            the message sent, and whose body is its result is deleted (a delete that fails is warned of on \
            stderr, the result printed and the exit status its own), others are made visible again at once \
            (after a receive that brought only others' messages, the next waits a second; one that names the task but holds no result of it, or answers an earlier submission of the id, \
            is left on the queue; what a receive brought is settled up to 5 s past --timeout, and no receive \
            asks SQS to wait past it); a task whose id is not valid, that gives a field twice, whose replyTo is \
            neither a string nor null (null beside --reply-queue), that is over [sqs] max_message_bytes \
            (256 KiB unless raised) with its taskId attribute, or that holds a raw U+FFFE or U+FFFF (SQS carries neither; write them escaped, \\uffff) \
            is refused before sending (exit 64), and so is a reply queue (--reply-queue, the task's replyTo or \
            [sqs] result_queue_url) that is the task queue or another of [sqs] queue_urls, none a delegate sends \
            results to (without [sqs] endpoint: an https host of Amazon SQS, or the origin of the task queue or of a \
            configured queue), or a task or reply queue of another region than an Amazon SQS [sqs] endpoint. A send \
            one of whose attempts may have queued it (an answer lost to a timeout or a reset, a 5xx, an answer \
            that could not be read) says it may have been sent. A reply queue that cannot be read (one that does \
            not exist) is found at the first receive, after the send: its error (69) says the task was sent and runs \
            (to a queue that does not exist no result can be sent, and the task runs again every lease). \
            Nothing authenticates a result: anyone who may send to the reply queue, or write to the spool's done/, \
            can forge one; with --seal a success must open with this submission's key, whose public half travels \
            in the task (secrecy, not proof of origin). \
            Whatever the destination, a task that is no JSON object is refused before sending (exit 64), \
            saying which way (empty, not UTF-8, not JSON and where reading stopped, JSON of another kind), \
            and so is one whose id is there but neither a string nor null. \
            With --spool, an id that is not valid, or one already queued in new/, running (claimed in cur/), or whose result waits \
            uncollected in done/ is refused (exit 64): the delegate would not run the task, and --wait would \
            take the old result. A task renamed into new/ whose directory then cannot be synced is queued (it \
            will run): submit prints a QueuedNotDurable warning and goes on (exit 0, or the result's status \
            with --wait). With --spool --wait, done/ID.json is deleted once the outcome is written (kept if \
            standard output refuses it, or if it holds no result), and submit returns once the delegate has let the task go (its claim \
            deleted), so the id may be used again; it waits at most 2 s for that (a delegate that cannot sync \
            done/ keeps its claim, and the id is refused as running until it goes); another producer's task \
            with this id answers the wait; a wait that cannot be set up still says the task is queued \
            (exit 69). With --seal, a host that cannot seal and open with the new key pair (a libcrypto \
            without ChaCha20-Poly1305) exits 69 before sending, and 69 if its libcrypto fails while opening the result; a \
            spool result that cannot be opened is left in done/; on the \
            socket, a task without a valid id, or that gives a field twice, is refused (exit 64). A spool \
            this user may not write (not in the secrets-delegate group) exits 69 saying so. With --socket or --spool the configuration is not read. --timeout is 120 seconds \
            unless given, at most 31536000 seconds. The socket's own refusals (TooManyConnections, PeerNotAllowed) exit 69, the \
            reason on stderr (without --wait, a refusal that comes within 0.2 s of sending; a rejected or failed \
            result that comes then is printed, exit 1; a connection closed then without an answer (the task \
            most likely not taken), an answer cut short (it may have run) or one that is no result exits 69). Exits 74 if standard output refuses the result \
            (or, without --wait, the line saying where the task went; it was sent all the same).
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The delegate's Unix socket.", valueName: "PATH"))
    var socket: String?

    @Option(help: ArgumentHelp("The spool directory.", valueName: "DIR"))
    var spool: String?

    @Option(help: ArgumentHelp("Send the task to this SQS queue.", valueName: "QUEUE_URL"))
    var sqs: String?

    @Option(
        name: .customLong("reply-queue"),
        help: ArgumentHelp(
            "With --sqs: the queue the result goes to (set as the task's replyTo); never a task queue (this one, or one of [sqs] queue_urls).",
            valueName: "URL"))
    var replyQueue: String?

    @Flag(help: "Wait for the result, print it, and exit 0 if the task succeeded, 1 if not.")
    var wait = false

    @Option(
        help: ArgumentHelp(
            "Seconds, a decimal number, to wait for the result (default 120; the send is bounded by it too: with --socket the connect and the write, with --sqs the send).",
            valueName: "S"),
        transform: { text in
            // Decimal only: `Double(_:)` would also read 0x10 as 16.
            guard let seconds = DelegateConfiguration.decimalNumber(text) else {
                throw ValidationError(Self.timeoutRule)
            }
            return seconds
        })
    var timeout: Double = 120

    @Flag(help: "Have the result sealed to a one-off key pair held in memory, and print it opened (needs --wait).")
    var seal = false

    @Argument(
        help: ArgumentHelp("The task file, or - for standard input (read to 1 MiB at most).", valueName: "TASK.json|-"))
    var task: String

    func validate() throws {
        if [socket, spool, sqs].compactMap({ $0 }).count > 1 {
            throw ValidationError("use one of --socket, --spool and --sqs")
        }
        if replyQueue != nil, sqs == nil { throw ValidationError("--reply-queue needs --sqs") }
        if !(timeout > 0 && timeout <= Self.longestTimeout) { throw ValidationError(Self.timeoutRule) }
        if seal, !wait { throw ValidationError("--seal needs --wait: only this process could open the result") }
    }

    /// A year: beyond it, a wait is a mistake (and the seconds no longer fit in milliseconds).
    static let longestTimeout: Double = 365 * 86_400

    static let timeoutRule =
        "--timeout must be a decimal number of seconds (such as 30 or 2.5), more than 0 and at most \(Int(longestTimeout))"

    func run() async throws {
        if let refusal = SecretHoldingCommand.protect() { try finish(refusal) }
        let destination = try destination()
        let data = try readInput(task, limit: DelegateTask.maximumSize, what: "a task")
        let submitter = TaskSubmitter(
            destination: destination, wait: wait, timeout: .milliseconds(max(1, Int((timeout * 1000).rounded()))),
            seal: seal)
        try finish(await submitter.submit(data))
    }

    /// ``TaskSubmitter/destination(socket:spool:sqs:replyQueue:configuration:environment:)``, or
    /// the exit it says.
    private func destination() throws -> TaskSubmitter.Destination {
        let loader = options.loader
        switch TaskSubmitter.destination(
            socket: socket, spool: spool, sqs: sqs, replyQueue: replyQueue,
            configuration: { () throws(ConfigurationError) in try loader.load() },
            environment: ProcessInfo.processInfo.environment)
        {
        case .success(let destination): return destination
        case .failure(let refused): try finish(refused.outcome)
        }
    }
}

/// The contents of the file at `path`, or standard input for `-`, at most `limit` bytes; exits 64
/// (saying why) if it cannot be read or holds more.
func readInput(_ path: String, limit: Int, what: String) throws -> Data {
    switch CommandInput.read(path, limit: limit, what: what) {
    case .success(let contents): return contents
    case .failure(let failure):
        // Escaped as every error line is: the path is the caller's, any bytes at all.
        try finish(.failure(failure.message, status: ExitStatus.usage))
    }
}

/// The socket from `--socket`, else the configuration's `socket_path`; exits 78 or 64 if neither.
func socketPath(_ socket: String?, options: ConfigOption) throws -> String {
    if let socket { return socket }
    let path: String
    do {
        path = try options.loader.load().queue.socketPath
    } catch {
        try finish(.failure("configuration error: \(error)", status: ExitStatus.configuration))
    }
    guard !path.isEmpty else {
        try finish(
            CommandOutcome(
                errorOutput: "secrets-delegate: no --socket and the configuration has no socket_path",
                status: ExitStatus.usage))
    }
    return path
}

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print one secret value, fetched through a delegate with one of its named connectors.",
        discussion: """
            Prints the value and nothing else: a string secret (or the #KEY field of a JSON secret: a string \
            field as it is, any other value as its JSON text as the secret has it; of a key given twice, the \
            last) as its UTF-8 bytes, a binary \
            secret as its raw bytes, no newline added. With --json, prints the whole result \
            line instead. Errors go to stderr as one line with the error code, and nothing to stdout. \
            Without --socket, the configuration's socket_path is used. It talks only to the socket: it \
            never loads libcurl (as exec does not). With --socket (and no options but --version-id or \
            --version-stage, --json, --refresh and --config), the small front binary, /usr/bin/secrets-delegate, answers \
            by itself, without reading the configuration or starting the full binary \
            (/usr/libexec/secrets-delegate/secrets-delegated): the same output and exit status, a faster start. \
            Exit statuses: 0 success; 1 the task failed or was rejected; 64 usage; 69 delegate unreachable \
            (or no answer within 120 s); 74 the value could not be written to standard output; 78 \
            configuration error.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The delegate's Unix socket.", valueName: "PATH"))
    var socket: String?

    @Option(
        name: .customLong("version-id"),
        help: ArgumentHelp("Read this version (its id, 32-64 characters as AWS makes them).", valueName: "ID"))
    var versionID: String?

    @Option(help: ArgumentHelp("Read the version with this staging label (default AWSCURRENT).", valueName: "STAGE"))
    var versionStage: String?

    @Flag(help: "Print the whole result line (JSON) instead of the value.")
    var json = false

    @Flag(help: Self.refreshHelp)
    var refresh = false

    /// `get`'s and `exec`'s `--refresh`.
    static let refreshHelp = ArgumentHelp(
        "Read from Secrets Manager, not from the delegate's read cache (its answer is cached for the reads after it).")

    @Argument(help: ArgumentHelp("A named connector of the delegate's configuration.", valueName: "CONNECTOR"))
    var connector: String

    @Argument(
        help: ArgumentHelp(
            "The secret's name under the connector's prefix; #KEY picks one field of a JSON secret (the key's exact bytes; of a key given twice, the last).",
            valueName: "NAME[#KEY]"))
    var name: String

    func validate() throws {
        if versionID != nil, versionStage != nil {
            throw ValidationError("use --version-id or --version-stage, not both")
        }
    }

    func run() throws {
        if let refusal = SecretHoldingCommand.protect() { try finish(refusal) }
        let path = try socketPath(socket, options: options)
        let version: SecretFetcher.Version = versionID.map { .id($0) } ?? versionStage.map { .stage($0) } ?? .current
        throw ExitCode(
            SecretFetcher(socketPath: path, refresh: refresh)
                .get(connector: connector, name: name, version: version, json: json).emit())
    }
}

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with secret values in its environment, fetched through a delegate.",
        discussion: """
            Looks for COMMAND before any value is read (found nowhere: exit 127), then fetches every \
            --env value. If any cannot be had, prints why (the variable and the error \
            code, never a value) and exits 1 (69 if the delegate cannot be reached) without running the \
            command; otherwise replaces itself with \
            COMMAND (looked up in this process's PATH unless it holds a /, not in a PATH given with --env as \
            GNU env(1) would; exit 127 if found \
            nowhere or its #! interpreter or program loader is missing, 126 if found but not run: not executable, or a path with a / \
            that cannot be looked at), the variables added to the current environment, \
            with the signal mask and nice value this process started with and its arguments byte for byte. \
            A value holding a NUL byte cannot be an environment variable, and one that is not valid UTF-8 \
            is refused too (exit 1). \
            Without --socket, the configuration's socket_path is used. With --socket (and no options but \
            --env, --refresh and --config), the small front binary, /usr/bin/secrets-delegate, runs it by itself, without \
            reading the configuration or starting the full binary: the same environment for the command, the \
            same messages and exit statuses, a faster start. \
            Exit statuses, when the command is not run: 1 a task failed or was rejected; 64 usage; \
            69 delegate unreachable; 78 configuration error; 126 the command cannot be run; 127 it (or its #! \
            interpreter or program loader) is not found.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The delegate's Unix socket.", valueName: "PATH"))
    var socket: String?

    @Option(
        name: .customLong("env"),
        help: ArgumentHelp("Set VAR to a secret's value (repeatable).", valueName: "VAR=CONNECTOR:NAME[#KEY]"))
    var bindings: [String] = []

    @Flag(help: Get.refreshHelp)
    var refresh = false

    @Argument(
        parsing: .postTerminator, help: ArgumentHelp("The command to run, after --.", valueName: "COMMAND [ARG...]"))
    var command: [String] = []

    func validate() throws {
        if bindings.isEmpty { throw ValidationError("exec needs at least one --env VAR=CONNECTOR:NAME[#KEY]") }
        if command.isEmpty { throw ValidationError("exec needs a command after --") }
        for binding in bindings {
            do {
                _ = try EnvironmentExec.Binding(parsing: binding)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    func run() throws {
        if let refusal = SecretHoldingCommand.protect() { try finish(refusal) }
        // Before the configuration is read (without --socket): a usage error is 64, whatever the
        // configuration. (`validate()` parsed every binding already; what it cannot see is a
        // variable bound twice.)
        var parsed: [EnvironmentExec.Binding] = []
        var variables = Set<String>()
        for binding in bindings {
            do {
                parsed.append(try EnvironmentExec.Binding(parsing: binding))
            } catch {
                try finish(CommandOutcome(errorOutput: "secrets-delegate: \(error)", status: ExitStatus.usage))
            }
            if let variable = parsed.last?.variable, !variables.insert(variable).inserted {
                try finish(
                    CommandOutcome(
                        errorOutput: "secrets-delegate: --env \(variable) is given twice", status: ExitStatus.usage))
            }
        }
        let path = try socketPath(socket, options: options)
        let exec = EnvironmentExec(
            getter: SecretFetcher(socketPath: path, refresh: refresh), bindings: parsed,
            command: ProcessArguments.trailing(command),
            environment: EnvironmentExec.processEnvironment(), execThread: MainThread.run)
        let failure = exec.run()
        try finish(CommandOutcome(errorOutput: "secrets-delegate: \(failure)", status: failure.status))
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print the effective settings.",
        discussion: """
            Reads the file, its connectors.d drop-ins and the SECRETS_DELEGATE_* variables as the \
            daemon would. A configuration error exits 78 naming the file and the key (or the \
            variable), including a [[credential]] entry that could only be refused: its connector \
            does not admit the unit or does not allow getSecretValue, or its secret is no valid \
            name under the connector's prefix. A connectors_dir set (in the file or its variable) and missing, \
            and files in it not read though they may be meant as drop-ins (ci-read.conf, ci-read.TOML: a drop-in \
            is <id>.toml), are warned of on stderr (exit 0), as the daemon warns at its start and reloads.
            """)

    @OptionGroup var options: ConfigOption

    func run() throws {
        try finish(options.loader.check())
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask a running delegate for its status (printed as indented JSON, keys sorted).",
        discussion: """
            Exit statuses: 0 the status was printed; 64 usage; 69 the delegate cannot be reached \
            or its socket refused the caller (PeerNotAllowed, TooManyConnections: the reason on \
            stderr, nothing on stdout), or its answer was cut off (it stopped as it answered: nothing \
            on stdout); 74 standard output refused the status; 78 configuration error.
            """)

    @OptionGroup var options: ConfigOption

    @Option(
        help: ArgumentHelp(
            "The delegate's Unix socket.",
            discussion: "Without it, the configuration's socket_path (/run/secrets-delegate/delegate.sock by default).",
            valueName: "PATH"))
    var socket: String?

    func run() throws {
        try finish(StatusQuery(socketPath: try socketPath(socket, options: options)).run())
    }
}

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a key pair for sealed results: the private key to a new file, the public key on stdout.",
        discussion: """
            KEYFILE gets one line of base64 and mode 0600; an existing file is never overwritten. The key \
            is written in an unnamed file (O_TMPFILE) beside KEYFILE and linked into place whole. \
            On a file system that leaves the file any group or other permission bit (vfat answers chmod \
            with success and keeps its mount's mode; a mount keeping 0700 is taken), keygen exits 64 before \
            writing the key. \
            Put the printed public key in a task's sealTo (a sealTo of null is refused as InvalidTask, \
            never answered in the clear). A host that cannot seal and open with the new pair (a libcrypto \
            without ChaCha20-Poly1305) exits 69 before writing anything. If standard output refuses the public key, \
            KEYFILE is removed and keygen exits 74; so it exits when the system fails to make KEYFILE \
            (a full disk or quota, an I/O error, a file size limit, a read-only file system, no memory), leaving nothing behind.
            """)

    @Option(help: ArgumentHelp("The private key file to create.", valueName: "KEYFILE"))
    var out: String

    func run() throws {
        if let refusal = SecretHoldingCommand.protect() { try finish(refusal) }
        throw ExitCode(ResultKeyFile.printed(ResultKeyFile.generate(out: out), out: out))
    }
}

struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Print a sealed result with its result opened.",
        discussion: """
            A result that is not sealed is printed unchanged with a note on stderr, and exits 0 (a script that \
            needs its result kept secret must check for the note, or use submit --seal). Sealing gives secrecy, \
            not proof of origin: anyone who read the task's sealTo can seal a result that opens. \
            Exits 1, printing nothing, if the result does not authenticate under the key and its task id; \
            64 if the key file cannot be used: it must be a regular file that only its owner may read or \
            write (no group or other permission bits: 0600 as keygen makes it, or 0400), holding the key keygen wrote, or the input is no \
            result it can use (not a result, saying why; a sealed result of another algorithm or a malformed one); 69 if \
            this host's libcrypto fails while opening it (the result and key may be fine); 74 if \
            standard output refuses the result.
            """)

    @Option(help: ArgumentHelp("The private key file (from keygen).", valueName: "KEYFILE"))
    var key: String

    @Argument(
        help: ArgumentHelp(
            "The result file, or - for standard input (read to 64 MiB at most).", valueName: "RESULT.json|-"))
    var result: String = "-"

    func run() throws {
        if let refusal = SecretHoldingCommand.protect() { try finish(refusal) }
        let input = try readInput(result, limit: ResultOpener.maximumInput, what: "a result")
        try finish(ResultOpener(keyPath: key).open(input, from: result == "-" ? nil : result))
    }
}
