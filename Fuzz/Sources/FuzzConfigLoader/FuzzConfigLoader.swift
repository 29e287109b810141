import FuzzSupport
import Delegate
import Foundation

/// The configuration file and its environment overrides, through the loader's public entry
/// point (TOMLSyntaxCheck, TOMLKit, overrides, validation). The input is the TOML text, then
/// optionally a NUL byte and `SUFFIX=value` lines, each taken as `SECRETS_DELEGATE_SUFFIX`.
/// Text that is not UTF-8 stops where the loader stops it (`load(path:)` refuses it).
/// An empty directory of this run's own.
private let emptyConnectorsDirectory: String = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-connectors-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
    guard let toml = String(data: Data(bytes[..<split]), encoding: .utf8) else { return 0 }
    var environment: [String: String] = ["PATH": "/usr/bin", "HOME": "/root"]
    if split < bytes.endIndex {
        let overrides = String(decoding: bytes[(split + 1)...], as: UTF8.self)
        for line in overrides.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment["SECRETS_DELEGATE_" + parts[0]] = parts.count > 1 ? String(parts[1]) : ""
        }
    }
    // Drop-ins come from a directory no input can move, so that a run reads nothing of the
    // machine's and an input found here does the same elsewhere (the override wins over the file).
    environment["SECRETS_DELEGATE_DELEGATE_CONNECTORS_DIR"] = emptyConnectorsDirectory
    _ = try? DelegateConfiguration.load(tomlText: toml, environment: environment, hostName: "fuzz-host")
    if split < bytes.endIndex {
        // The overrides alone, over the defaults (no file).
        _ = try? DelegateConfiguration.load(tomlText: nil, environment: environment, hostName: "fuzz-host")
    }
    return 0
}

@_cdecl("FuzzConfigLoader_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzConfigLoader)
}
