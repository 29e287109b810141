/// The delegate's version, printed by `--version` and reported in the status object. The package
/// build (`make package`) reads it from here, so there is one place to change it.
public enum DelegateVersion {
    public static let current = "0.1.0"
}
