import CLibFuzzer

/// The program's entry point. SwiftPM links an executable target with `main` renamed to
/// `<module>_main` (so that tests can link the module), which leaves libFuzzer's own
/// `main` unused and this symbol undefined; it is defined here, and runs libFuzzer's
/// driver on the same function as `LLVMFuzzerTestOneInput`, with the same command-line options.
@_cdecl("CaptureReaderFuzz_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        fuzz(UnsafeRawBufferPointer(start: data, count: size))
    }
}
