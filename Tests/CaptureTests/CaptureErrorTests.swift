#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing

@testable import Capture

@Suite("file errors")
struct CaptureErrorTests {
    static let packet = Packet.ipv4(payload: Packet.udp(payload: Packet.sipMessage("err@1")))

    /// A pcap with one good record, then `tail`.
    static func pcap(then tail: [UInt8], bigEndian: Bool = false) -> [UInt8] {
        var writer = PcapWriter(linkType: 101, bigEndian: bigEndian)
        writer.add(packet)
        return writer.bytes + tail
    }

    /// A pcapng section with one interface and one good packet (blocks 1-3), then `tail`.
    static func pcapng(then tail: [UInt8], bigEndian: Bool = false) -> [UInt8] {
        var writer = PcapngWriter(bigEndian: bigEndian)
        writer.interface(linkType: 101)
        writer.enhancedPacket(frame: packet)
        return writer.bytes + tail
    }

    static func block(type: UInt32, length: UInt32, body: [UInt8], trailing: UInt32? = nil) -> [UInt8] {
        concat(be32(type).reversed(), be32(length).reversed(), body, be32(trailing ?? length).reversed())
    }

    static let goodPcapngLength = pcapng(then: []).count
    static let goodPcapLength = pcap(then: []).count

    @Test(
        "names the file, the record or block, its offset and what was wrong",
        arguments: [
            ("empty", [UInt8](), "f: the file is empty"),
            ("three bytes", [0xD4, 0xC3, 0xB2], "f: file header at byte offset 0: file header cut short: 24 bytes needed, only 3 in the file"),
            ("unknown magic", Array(ascii: "INVITE sip:x SIP/2.0\r\n\r\n"), "f: file header at byte offset 0: not a pcap or pcapng file (magic number 0x494e5649)"),
            ("short pcap header", Array(PcapWriter().bytes.prefix(20)), "f: file header at byte offset 0: file header cut short: 24 bytes needed, only 20 in the file"),
            ("pcap version 3", PcapWriter(version: (3, 0)).bytes, "f: file header at byte offset 0: unsupported format version 3.0"),
            ("pcap record header cut", pcap(then: [1, 2, 3, 4, 5]), "f: record 2 at byte offset \(goodPcapLength): header cut short: 16 bytes needed, only 5 left in the file"),
            ("pcap record past end", pcap(then: concat(be32(1).reversed(), be32(0), be32(500).reversed(), be32(500).reversed(), [1, 2, 3])), "f: record 2 at byte offset \(goodPcapLength): captured length 500 runs past the end of the file (only 3 bytes left)"),
            ("pcap record past end, big-endian", pcap(then: concat(be32(1), be32(0), be32(0xFFFF_FFFF), be32(64)), bigEndian: true), "f: record 2 at byte offset \(goodPcapLength): captured length 4294967295 runs past the end of the file (only 0 bytes left)"),
            ("pcapng block header cut", pcapng(then: [6, 0, 0, 0, 32, 0]), "f: block 4 at byte offset \(goodPcapngLength): header cut short: 12 bytes needed, only 6 left in the file"),
            ("pcapng byte-order magic", concat(be32(0x0A0D_0D0A), be32(28), be32(0x1A2B_3C4E), [UInt8](repeating: 0, count: 12), be32(28)), "f: block 1 at byte offset 0: section header has an unknown byte-order magic 0x4e3c2b1a"),
            ("pcapng block too short", pcapng(then: block(type: 6, length: 8, body: [])), "f: block 4 at byte offset \(goodPcapngLength): block length 8 is shorter than the 12 bytes this block needs"),
            ("pcapng misaligned", pcapng(then: block(type: 6, length: 14, body: [0, 0])), "f: block 4 at byte offset \(goodPcapngLength): block length 14 is not a multiple of 4"),
            ("pcapng block past end", pcapng(then: block(type: 6, length: 64, body: [0, 0, 0, 0])), "f: block 4 at byte offset \(goodPcapngLength): block length 64 runs past the end of the file (only 16 bytes left)"),
            ("pcapng trailing length", pcapng(then: block(type: 5, length: 16, body: [0, 0, 0, 0], trailing: 20)), "f: block 4 at byte offset \(goodPcapngLength): trailing block length 20 differs from the leading length 16"),
            ("pcapng EPB too short", pcapng(then: block(type: 6, length: 24, body: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), "f: block 4 at byte offset \(goodPcapngLength): block length 24 is shorter than the 32 bytes this block needs"),
            ("pcapng EPB past block", pcapng(then: block(type: 6, length: 36, body: concat([UInt8](repeating: 0, count: 12), be32(9).reversed(), be32(9).reversed(), [1, 2, 3, 4]))), "f: block 4 at byte offset \(goodPcapngLength): captured length 9 runs past the end of the block (room for 4 bytes)"),
            ("pcapng EPB interface", pcapng(then: block(type: 6, length: 32, body: concat(be32(3).reversed(), [UInt8](repeating: 0, count: 16)))), "f: block 4 at byte offset \(goodPcapngLength): packet names interface 3, but the section describes 1 interface"),
            ("pcapng SHB too short", concat(be32(0x0A0D_0D0A), be32(16), be32(0x1A2B_3C4D), be32(16)), "f: block 1 at byte offset 0: block length 16 is shorter than the 28 bytes this block needs"),
            ("pcapng IDB too short", pcapng(then: block(type: 1, length: 16, body: [1, 0, 0, 0])), "f: block 4 at byte offset \(goodPcapngLength): block length 16 is shorter than the 20 bytes this block needs"),
            ("pcapng SPB too short", pcapng(then: block(type: 3, length: 12, body: [])), "f: block 4 at byte offset \(goodPcapngLength): block length 12 is shorter than the 16 bytes this block needs"),
            ("pcapng PB past block", pcapng(then: block(type: 2, length: 36, body: concat([UInt8](repeating: 0, count: 12), be32(5).reversed(), be32(5).reversed(), [1, 2, 3, 4]))), "f: block 4 at byte offset \(goodPcapngLength): captured length 5 runs past the end of the block (room for 4 bytes)"),
            ("pcapng PB interface", pcapng(then: block(type: 2, length: 32, body: concat([1, 0, 0, 0], [UInt8](repeating: 0, count: 16)))), "f: block 4 at byte offset \(goodPcapngLength): packet names interface 1, but the section describes 1 interface"),
            ("pcapng PB too short", pcapng(then: block(type: 2, length: 16, body: [0, 0, 0, 0])), "f: block 4 at byte offset \(goodPcapngLength): block length 16 is shorter than the 32 bytes this block needs"),
        ]
    )
    func describedError(name: String, bytes: [UInt8], message: String) throws {
        var description: String?
        do {
            var reader = try CaptureReader(bytes: bytes, name: "f")
            while try reader.next() != nil {}
        } catch {
            description = error.description
        }
        #expect(description == message, "\(name)")
    }

    /// A pcapng whose interface has these options, then one packet on it.
    static func interfaceWithOptions(_ options: [UInt8]) -> [UInt8] {
        var writer = PcapngWriter()
        writer.block(type: 1, body: concat([101, 0, 0, 0], [0, 0, 0, 0], options))
        writer.enhancedPacket(frame: packet)
        return writer.bytes
    }

    @Test(
        "refuses malformed interface options",
        arguments: [
            ("if_tsresol of two bytes", [9, 0, 2, 0, 6, 6, 0, 0], CaptureError.Problem.malformedOption(code: 9, length: 2)),
            ("if_tsoffset of four bytes", [14, 0, 4, 0, 0, 0, 0, 0], .malformedOption(code: 14, length: 4)),
            ("option past the block", [2, 0, 40, 0, 65, 66, 67, 68], .malformedOption(code: 2, length: 40)),
            ("10^-20 s", [9, 0, 1, 0, 20, 0, 0, 0], .unsupportedTimestampResolution(20)),
            ("2^-64 s", [9, 0, 1, 0, 0xC0, 0, 0, 0], .unsupportedTimestampResolution(0xC0)),
        ]
    )
    func malformedOptions(name: String, options: [UInt8], problem: CaptureError.Problem) throws {
        let contents = try readCapture(Self.interfaceWithOptions(options))
        #expect(contents.error?.problem == problem, "\(name)")
        #expect(contents.error?.location == .block(2), "\(name)")
        #expect(contents.error?.offset == 28, "\(name)")
        #expect(contents.events.isEmpty, "\(name)")
    }

    @Test("reads options up to opt_endofopt, and tolerates a list without one")
    func optionListEnd() throws {
        // Bytes after opt_endofopt are not options: the malformed if_tsresol there is ignored.
        let afterEnd = try readCapture(Self.interfaceWithOptions([0, 0, 0, 0, 9, 0, 9, 0]))
        #expect(afterEnd.error == nil)
        #expect(afterEnd.events.first?.timestamp == CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 0))
        // if_tsresol 9 (nanoseconds) is the last option, with no end marker after it.
        let withoutEnd = try readCapture(Self.interfaceWithOptions([9, 0, 1, 0, 9, 0, 0, 0]))
        #expect(withoutEnd.error == nil)
        #expect(withoutEnd.events.first?.timestamp == CaptureTimestamp(seconds: 1_700_000, nanoseconds: 0))
    }

    @Test("refuses a pcapng section of another major version")
    func pcapngVersion() throws {
        var writer = PcapngWriter()
        writer.interface(linkType: 101)
        writer.section(bigEndian: true, major: 2)
        let contents = try readCapture(writer.bytes)
        #expect(contents.error?.description == "test.pcap: block 3 at byte offset 60: unsupported format version 2.0")
    }

    @Test("a Simple Packet Block needs interface 0")
    func simplePacketWithoutInterface() throws {
        var writer = PcapngWriter()
        writer.simplePacket(frame: Self.packet)
        let contents = try readCapture(writer.bytes)
        #expect(contents.error?.problem == .undescribedInterface(id: 0, described: 0))
    }

    @Test("delivers every event before the broken record, then throws the same error on every call")
    func eventsBeforeErrorThenStickyError() throws {
        var reader = try CaptureReader(bytes: Self.pcap(then: [0, 0]), name: "sticky.pcap")
        #expect(try reader.next() != nil)
        var first: CaptureError?
        do { _ = try reader.next() } catch { first = error }
        var second: CaptureError?
        do { _ = try reader.next() } catch { second = error }
        #expect(first != nil)
        #expect(first == second)
        #expect(first?.location == .record(2))
        #expect(reader.statistics.packets == 1)
    }

    @Test("names the path and the system's reason when the file cannot be read")
    func unreadableFiles() throws {
        var missing: CaptureError?
        do { _ = try CaptureReader(path: "/nonexistent/calls.pcap") } catch { missing = error }
        #expect(missing?.description == "/nonexistent/calls.pcap: cannot read the file: No such file or directory")
        #expect(missing?.location == .file)

        var directory: CaptureError?
        do { _ = try CaptureReader(path: "/tmp") } catch { directory = error }
        #expect(directory?.description == "/tmp: cannot read the file: it is a directory")
    }

    /// Every event of the capture at `path`, in order.
    static func events(at path: String) throws -> [CaptureEvent] {
        var reader = try CaptureReader(path: path)
        var events: [CaptureEvent] = []
        while let event = try reader.next() { events.append(event) }
        return events
    }

    @Test(
        "reads a capture from a pipe as it reads the same file mapped",
        arguments: ["lo-and-any.pcapng", "lo-ethernet.pcap", "any-sll2-ns.pcap"])
    func pipesAndFiles(name: String) throws {
        let path = TestFiles.capturesDirectory() + "/" + name
        let mapped = try Self.events(at: path)
        #expect(mapped.count > 10)

        // The whole (small) capture fits in the pipe's buffer, so it is written before
        // the reader opens the pipe's read end by path.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let bytes = try TestFiles.read(path)
        let written = bytes.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        #expect(written == bytes.count)
        #expect(try Self.events(at: "/dev/fd/\(ends[0])") == mapped)
    }

    @Test("an empty file is reported as empty, not mapped")
    func emptyFile() throws {
        let path = "/tmp/sipfence-empty-\(getpid()).pcap"
        try TestFiles.write([], to: path)
        defer { TestFiles.remove(path) }
        var empty: CaptureError?
        do { _ = try CaptureReader(path: path) } catch { empty = error }
        #expect(empty?.problem == .empty)
    }
}
