#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file into memory with POSIX calls, so that decoding works on one
/// contiguous array and failures carry the operating system's reason.
enum CaptureFile {
    /// The bytes of the file at `path`, or the reason it cannot be read.
    static func contents(of path: String) -> Result<[UInt8], CaptureError> {
        func failure(_ reason: String) -> Result<[UInt8], CaptureError> {
            .failure(CaptureError(file: path, location: .file, offset: 0, problem: .unreadable(reason)))
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return failure(systemReason()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return failure(systemReason()) }
        if (status.st_mode & S_IFMT) == S_IFDIR { return failure("it is a directory") }

        // A regular file is read straight into an array of its size, in one pass; other
        // files (pipes, devices) are read in chunks until their end.
        let size = Int(status.st_size)
        if (status.st_mode & S_IFMT) == S_IFREG, size > 0 {
            var readError: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                while initialized < size {
                    let count = read(descriptor, buffer.baseAddress?.advanced(by: initialized), size - initialized)
                    if count < 0, errno == EINTR { continue }
                    if count < 0 { readError = errno }
                    guard count > 0 else { break }
                    initialized += count
                }
            }
            if readError != 0 { return failure(systemReason(readError)) }
            return .success(bytes)
        }
        var bytes: [UInt8] = []
        let chunkLength = 1 << 20
        var readError: Int32 = 0
        while true {
            let before = bytes.count
            var received = 0
            bytes.append(contentsOf: repeatElement(0, count: chunkLength))
            bytes.withUnsafeMutableBytes { buffer in
                let target = UnsafeMutableRawBufferPointer(rebasing: buffer[before...])
                while true {
                    let count = read(descriptor, target.baseAddress, target.count)
                    if count < 0, errno == EINTR { continue }
                    if count < 0 { readError = errno }
                    received = max(count, 0)
                    return
                }
            }
            bytes.removeLast(chunkLength - received)
            if readError != 0 { return failure(systemReason(readError)) }
            if received == 0 { return .success(bytes) }
        }
    }

    private static func systemReason(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
