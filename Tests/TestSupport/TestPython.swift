import Foundation

/// The Python interpreter that has moto, boto3 and pyhpke (`make deps` installs them into it):
/// `$PYTHON` as `make` exports it, else `python3` on the PATH.
public enum TestPython {
    public static var interpreter: String {
        guard let named = ProcessInfo.processInfo.environment["PYTHON"], !named.isEmpty else { return "python3" }
        return named
    }
}
