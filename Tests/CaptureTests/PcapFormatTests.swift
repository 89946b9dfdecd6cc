import Testing

@testable import Capture

@Suite("pcap files")
struct PcapFormatTests {
    @Test(
        "reads both byte orders and both timestamp units",
        arguments: [(false, false), (false, true), (true, false), (true, true)]
    )
    func byteOrderAndResolution(bigEndian: Bool, nanoseconds: Bool) throws {
        var writer = PcapWriter(linkType: 1, bigEndian: bigEndian, nanoseconds: nanoseconds)
        let first = Packet.sipMessage("a@1")
        let second = Packet.sipMessage("b@2")
        writer.add(Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: first))), seconds: 1_700_000_000, fraction: 123_456)
        writer.add(Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(source: 5080, payload: second))), seconds: 1_700_000_001, fraction: 999)

        let reader = try CaptureReader(bytes: writer.bytes, name: "x.pcap")
        #expect(reader.format == .pcap)
        let contents = try readCapture(writer.bytes)
        #expect(contents.error == nil)
        #expect(contents.events.count == 2)
        #expect(contents.payloads == [first, second])
        let scale: UInt32 = nanoseconds ? 1 : 1000
        #expect(contents.events[0].timestamp == CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 123_456 * scale))
        #expect(contents.events[1].timestamp == CaptureTimestamp(seconds: 1_700_000_001, nanoseconds: 999 * scale))
        #expect(contents.events[1].source == TestAddress.endpoint(TestAddress.client, 5080))
        #expect(contents.events[1].destination == TestAddress.endpoint(TestAddress.server, 5060))
        #expect(contents.events[1].transport == .udp)
        #expect(contents.statistics.packets == 2)
        #expect(contents.statistics.udpDatagrams == 2)
        #expect(contents.statistics.skippedPackets == 0)
    }

    @Test("reads the modified (Kuznetzov) pcap with its longer record headers")
    func modifiedPcap() throws {
        var writer = PcapWriter(linkType: 101, modified: true)
        writer.add(Packet.ipv4(payload: Packet.udp(payload: Packet.sipMessage("m@1"))))
        writer.add(Packet.ipv4(payload: Packet.udp(payload: Packet.sipMessage("m@2"))))
        let contents = try readCapture(writer.bytes)
        #expect(contents.error == nil)
        #expect(contents.payloads == [Packet.sipMessage("m@1"), Packet.sipMessage("m@2")])
    }

    @Test("carries a fraction of a second or more into the seconds")
    func oversizedFraction() throws {
        var writer = PcapWriter(linkType: 101)
        writer.add(Packet.ipv4(payload: Packet.udp(payload: [1])), seconds: 10, fraction: 2_500_000)
        let contents = try readCapture(writer.bytes)
        #expect(contents.events.first?.timestamp == CaptureTimestamp(seconds: 12, nanoseconds: 500_000_000))
    }

    @Test("skips and counts packets cut short by the snapshot length, and reads on")
    func truncatedBySnapshotLength() throws {
        var writer = PcapWriter(linkType: 1, snapLength: 64)
        let long = Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: Packet.sipMessage("long@1"))))
        writer.add(Array(long.prefix(64)), originalLength: long.count)
        writer.add(Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: [0x0D, 0x0A]))))
        let contents = try readCapture(writer.bytes)
        #expect(contents.error == nil)
        #expect(contents.payloads == [[0x0D, 0x0A]])
        #expect(contents.statistics.packets == 2)
        #expect(contents.statistics.skipped == [.truncatedBySnapshotLength: 1])
    }

    @Test("takes the link type from the low 16 bits of the header field (FCS bits ignored)")
    func linkTypeWithFCSBits() throws {
        var writer = PcapWriter(linkType: 0x1400_0001)
        writer.add(Packet.ethernet(payload: Packet.ipv4(payload: Packet.udp(payload: [7]))) + [0xAA, 0xBB, 0xCC, 0xDD])
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads == [[7]])
    }

    @Test("an empty capture has no events")
    func headerOnly() throws {
        let contents = try readCapture(PcapWriter().bytes)
        #expect(contents.events.isEmpty)
        #expect(contents.error == nil)
        #expect(contents.statistics == CaptureStatistics())
    }

    @Test("reads a file from disk by path")
    func readsFromDisk() throws {
        let path = "/tmp/capture-tests-\(UInt64.random(in: 0...UInt64.max)).pcap"
        var writer = PcapWriter(linkType: 101)
        writer.add(Packet.ipv4(payload: Packet.udp(payload: Packet.sipMessage("disk@1"))))
        try TestFiles.write(writer.bytes, to: path)
        defer { TestFiles.remove(path) }
        var reader = try CaptureReader(path: path)
        #expect(reader.name == path)
        let event = try reader.next()
        #expect(event.map { CaptureContents(events: [$0]).payloads } == [Packet.sipMessage("disk@1")])
        #expect(try reader.next() == nil)
        #expect(try reader.next() == nil)
    }
}
