/// Starts libFuzzer with `testOneInput`.
///
/// Why this exists: in a debug build SwiftPM makes every executable target testable, which
/// links it with `--defsym main=<Target>_main`; a fuzzer has no Swift `main` (libFuzzer brings
/// its own), so each target defines `<Target>_main` with `@_cdecl` and hands over to libFuzzer's
/// documented driver entry point here. In a build without that renaming the function is unused
/// and libFuzzer's `main` runs the same `LLVMFuzzerTestOneInput`.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
