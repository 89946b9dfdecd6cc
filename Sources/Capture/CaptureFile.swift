#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens capture files with POSIX calls, so that decoding works on one contiguous run of
/// bytes and failures carry the operating system's reason.
enum CaptureFile {
    /// The bytes of the file at `path`, or the reason it cannot be read.
    ///
    /// A regular file is mapped read-only (``CaptureBytes/mapped(_:)``): replaying a
    /// capture of several gigabytes then costs page cache, not that much process memory,
    /// and no copy. Other files (pipes, devices, `/dev/stdin`) and empty files are read
    /// until their end into an array.
    static func contents(of path: String) -> Result<CaptureBytes, CaptureError> {
        func failure(_ reason: String) -> Result<CaptureBytes, CaptureError> {
            .failure(CaptureError(file: path, location: .file, offset: 0, problem: .unreadable(reason)))
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return failure(systemReason()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return failure(systemReason()) }
        if (status.st_mode & S_IFMT) == S_IFDIR { return failure("it is a directory") }

        let size = Int(status.st_size)
        if (status.st_mode & S_IFMT) == S_IFREG, size > 0 {
            guard let mapping = MappedCaptureFile(descriptor: descriptor, size: size) else {
                return failure(systemReason())
            }
            return .success(.mapped(mapping))
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
            if received == 0 { return .success(.array(bytes)) }
        }
    }

    static func systemReason(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}

/// The bytes a ``CaptureReader`` decodes: a capture held in memory, or a file mapped
/// read-only.
enum CaptureBytes: Sendable {
    /// Bytes in an array: a capture handed over in memory, or read from a pipe.
    case array([UInt8])
    /// A regular file, mapped.
    case mapped(MappedCaptureFile)

    /// The capture's size in bytes.
    var count: Int {
        withUnsafeBytes { $0.count }
    }

    /// Calls `body` with the capture's bytes; they stay valid only during the call.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch self {
        case .array(let bytes): bytes.withUnsafeBytes(body)
        case .mapped(let file): body(file.bytes)
        }
    }
}

/// A regular file mapped read-only and privately into memory, unmapped when the last
/// reference goes.
///
/// `@unchecked Sendable`: the mapping is never written and never changes after `init`,
/// so any thread may read it. A capture file that another process truncates while it is
/// being replayed makes reads past the new end fault (`SIGBUS`), as it would for any
/// program that maps its input; files that grow (a capture still being written) are read
/// up to the size they had when opened.
final class MappedCaptureFile: @unchecked Sendable {
    /// The file's bytes, as they were when it was opened.
    let bytes: UnsafeRawBufferPointer

    /// Maps `size` bytes of the open file `descriptor`; `nil` (with `errno` set) when the
    /// kernel refuses.
    init?(descriptor: Int32, size: Int) {
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            return nil
        }
        // Captures are read front to back: ask for read-ahead, and for pages behind the
        // reader to be dropped first under memory pressure.
        _ = madvise(address, size, MADV_SEQUENTIAL)
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
