import FuzzSupport
import Delegate
import Foundation

/// A task, spool-style (with a default id) and socket-style (none): any bytes give a task or a
/// rejection, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTaskDecoder(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? DelegateTask.decode(data, defaultID: "spool-file-name")
    _ = try? DelegateTask.decode(data, defaultID: nil)
    return 0
}

@_cdecl("FuzzTaskDecoder_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzTaskDecoder)
}
