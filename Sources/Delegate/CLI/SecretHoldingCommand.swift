import Systemd
import DelegateClient

/// The subcommands that hold secret values make their process non-dumpable before anything
/// else (`CoreDumpProtection`): `run` holds every task's parameters and results; `submit`
/// holds the task it sends (a `createSecret` or `putSecretValue` carries the secret) and, with
/// `--wait`, the result it prints (and, with `--seal`, the one-off private key); `keygen` holds
/// a new private key; `open` holds a private key and the secret values it opens; `get` and
/// `exec` hold the values they fetch (the command `exec` becomes starts dumpable again, as
/// `execve` resets the flag). `check-config`
/// and `status` never see a secret and stay dumpable, so they can still be debugged.
public enum SecretHoldingCommand {
    /// Nil once the process is protected; otherwise the outcome to exit with. The delegate
    /// refuses to hold secrets it cannot keep out of a core dump.
    public static func protect() -> CommandOutcome? {
        do {
            try CoreDumpProtection.enable()
            return nil
        } catch {
            return .failure("cannot keep secrets out of core dumps: \(error)", status: ExitStatus.unavailable)
        }
    }
}
