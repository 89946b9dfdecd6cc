import Capture

/// Fuzzes the capture reader: bytes → ``CaptureReader`` (pcap or pcapng, every link
/// layer, IPv4/IPv6 with fragment reassembly, UDP, TCP stream reassembly), draining every
/// event.
///
/// `sipfence replay` reads capture files operators bring from anywhere, and the reader
/// parses their length fields, offsets and fragment lists itself through unsafe pointers.
/// It must answer any file with events or a ``CaptureError``, never trap, leak or loop.
/// Checked with `precondition`: events stay bounded by the input (no loop), no payload
/// is longer than the file, an error repeats, and the end stays the end.
///
/// Input: the capture file's bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    fuzz(UnsafeRawBufferPointer(start: start, count: count))
}

/// One input, as a buffer.
func fuzz(_ input: UnsafeRawBufferPointer) -> CInt {
    let count = input.count
    let bytes = Array(input)
    var reader: CaptureReader
    do {
        reader = try CaptureReader(bytes: bytes, name: "fuzz")
    } catch {
        precondition(error.description.hasPrefix("fuzz"), "an error that does not name its file: \(error)")
        return 0
    }
    // Every event needs at least one byte of the file behind it; a stream end at most two per packet.
    let bound = 3 * count + 16
    var events = 0
    do {
        while let event = try reader.next() {
            events += 1
            precondition(events <= bound, "more than \(bound) events from \(count) bytes")
            switch event {
            case .datagram(_, _, _, let payload):
                precondition(payload.count <= count, "a datagram of \(payload.count) bytes from a file of \(count)")
            case .stream(_, _, _, let streamBytes):
                precondition(streamBytes.count <= count, "a stream chunk of \(streamBytes.count) bytes")
            case .streamEnded:
                break
            }
        }
        precondition((try? reader.next()) == nil, "an event after the end")
    } catch {
        precondition(error.description.hasPrefix("fuzz"), "an error that does not name its file: \(error)")
        do {
            _ = try reader.next()
            preconditionFailure("the reader went on after \(error)")
        } catch {}
    }
    let statistics = reader.statistics
    precondition(statistics.skippedPackets <= statistics.packets + statistics.reassembledDatagrams, "more packets skipped than read")
    return 0
}
