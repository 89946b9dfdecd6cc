import Testing

@testable import Capture

@Suite("TCP stream reassembly")
struct TCPReassemblyTests {
    static let client = TestAddress.endpoint(TestAddress.client, 40000)
    static let server = TestAddress.endpoint(TestAddress.server, 5060)
    static let upstream = "\(client)>\(server)"
    static let downstream = "\(server)>\(client)"

    /// A client→server segment in an IPv4 packet.
    static func toServer(_ sequence: UInt32, _ payload: [UInt8] = [], flags: Packet.TCPFlags = [.ack, .psh]) -> [UInt8] {
        Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(sequence: sequence, flags: flags, payload: payload))
    }

    /// A server→client segment in an IPv4 packet.
    static func toClient(_ sequence: UInt32, _ payload: [UInt8] = [], flags: Packet.TCPFlags = [.ack, .psh]) -> [UInt8] {
        Packet.ipv4(
            source: TestAddress.server,
            destination: TestAddress.client,
            protocolNumber: 6,
            payload: Packet.tcp(source: 5060, destination: 40000, sequence: sequence, flags: flags, payload: payload)
        )
    }

    static let invite = Packet.sipMessage("tcp@1", body: "v=0\r\n")
    static let bye = Packet.sipMessage("tcp@2")

    @Test("starts after the SYN and delivers several messages carried in one segment")
    func severalMessagesInOneSegment() throws {
        let both = Self.invite + Self.bye
        let contents = try readCapture(
            rawCapture([
                Self.toServer(1000, flags: .syn),
                Self.toClient(5000, flags: [.syn, .ack]),
                Self.toServer(1001, flags: .ack),
                Self.toServer(1001, both),
                Self.toClient(5001, flags: .ack),  // pure ACK: nothing
            ])
        )
        #expect(contents.events.count == 1)
        #expect(contents.payloads == [both])
        #expect(contents.events.first?.transport == .tcp)
        #expect(contents.events.first?.source == Self.client)
        #expect(contents.statistics.tcpSegments == 5)
        #expect(contents.statistics.tcpBytesDelivered == both.count)
    }

    @Test("delivers one message spread over several segments, in order")
    func messageAcrossSegments() throws {
        let message = Self.invite
        let contents = try readCapture(
            rawCapture([
                Self.toServer(1000, flags: .syn),
                Self.toServer(1001, Array(message[0..<10])),
                Self.toServer(1011, Array(message[10..<30])),
                Self.toServer(1031, Array(message[30...])),
            ])
        )
        #expect(contents.payloads.count == 3)
        #expect(contents.streams == [Self.upstream: message])
    }

    @Test(
        "puts out-of-order segments back in order",
        arguments: [[2, 1, 0], [1, 2, 0], [0, 2, 1], [2, 0, 1]]
    )
    func outOfOrder(order: [Int]) throws {
        let message = Self.invite
        let pieces = [
            Self.toServer(1001, Array(message[0..<10])),
            Self.toServer(1011, Array(message[10..<30])),
            Self.toServer(1031, Array(message[30...])),
        ]
        let contents = try readCapture(rawCapture([Self.toServer(1000, flags: .syn)] + order.map { pieces[$0] }))
        #expect(contents.streams == [Self.upstream: message])
        #expect(contents.statistics.tcpBytesRetransmitted == 0)
    }

    @Test("never doubles retransmitted segments, before or after later data")
    func retransmissionNotDoubled() throws {
        let contents = try readCapture(
            rawCapture([
                Self.toServer(1000, flags: .syn),
                Self.toServer(1001, Self.invite),
                Self.toServer(1001, Self.invite),
                Self.toServer(1001 + UInt32(Self.invite.count), Self.bye),
                Self.toServer(1001, Self.invite),
                Self.toServer(1001 + UInt32(Self.invite.count), Self.bye),
            ])
        )
        #expect(contents.streams == [Self.upstream: Self.invite + Self.bye])
        #expect(contents.statistics.tcpBytesRetransmitted == 2 * Self.invite.count + Self.bye.count)
    }

    @Test("delivers overlapping bytes once: in order, held out of order, and held copies of each other")
    func overlap() throws {
        let data = Array(ascii: "0123456789abcdefghijklmnopqrstuvwxyz")
        let contents = try readCapture(
            rawCapture([
                Self.toServer(99, flags: .syn),
                Self.toServer(100, Array(data[0..<10])),
                Self.toServer(105, Array(data[5..<15])),  // overlaps the delivered bytes
                Self.toServer(125, Array(data[25..<36])),  // ahead: held
                Self.toServer(120, Array(data[20..<30])),  // ahead, overlaps the held one
                Self.toServer(120, Array(data[20..<30])),  // the same again, held twice
                Self.toServer(112, Array(data[12..<22])),  // fills the hole, overlapping both sides
            ])
        )
        #expect(contents.streams == [Self.upstream: data])
    }

    @Test("follows sequence numbers across the 32-bit wrap")
    func sequenceWrapAround() throws {
        let message = Self.invite
        let start = UInt32.max - 15  // the SYN; data starts 14 bytes before the wrap
        let contents = try readCapture(
            rawCapture([
                Self.toServer(start, flags: .syn),
                Self.toServer(start &+ 1 &+ 10, Array(message[10..<30])),  // crosses the wrap, out of order
                Self.toServer(start &+ 1, Array(message[0..<10])),
                Self.toServer(start &+ 1 &+ 30, Array(message[30...])),  // after the wrap
                Self.toServer(start &+ 1, Array(message[0..<20])),  // retransmission across the wrap
            ])
        )
        #expect(contents.streams == [Self.upstream: message])
    }

    @Test("starts at the first segment when the capture began mid-connection")
    func midStreamStart() throws {
        let contents = try readCapture(
            rawCapture([
                Self.toServer(777_000, Self.invite),
                Self.toClient(9_000, Self.bye),
                Self.toServer(777_000 + UInt32(Self.invite.count), Self.bye),
            ])
        )
        #expect(contents.streams == [Self.upstream: Self.invite + Self.bye, Self.downstream: Self.bye])
    }

    @Test("ends a direction at its FIN once every byte before it has arrived")
    func finEndsDirection() throws {
        let length = UInt32(Self.invite.count)
        let contents = try readCapture(
            rawCapture([
                Self.toServer(1000, flags: .syn),
                Self.toServer(1001 + length, flags: [.fin, .ack]),  // FIN ahead of the data
                Self.toServer(1001, Self.invite),
                Self.toClient(1, Self.bye, flags: [.fin, .ack, .psh]),  // server: data and FIN at once
                Self.toServer(1001, Self.invite),  // late retransmission after the end: ignored
                Self.toServer(1001 + length, flags: [.fin, .ack]),  // retransmitted FIN: nothing more
            ])
        )
        #expect(
            contents.events.map { event -> String in
                switch event {
                case .stream(_, let source, _, let bytes): "\(source == Self.client ? "up" : "down") \(bytes.count)"
                case .streamEnded(_, let source, _): "\(source == Self.client ? "up" : "down") end"
                case .datagram: "datagram"
                }
            } == ["up \(Self.invite.count)", "up end", "down \(Self.bye.count)", "down end"]
        )
        #expect(contents.statistics.tcpBytesRetransmitted == Self.invite.count)
    }

    @Test("ends both directions at a RST, and a new connection on the same ports starts afresh")
    func rstEndsBothDirections() throws {
        let contents = try readCapture(
            rawCapture([
                Self.toServer(1000, flags: .syn),
                Self.toServer(1001, Array(Self.invite.prefix(10))),
                Self.toClient(5000, Array(Self.bye.prefix(4))),
                Self.toClient(5004, flags: [.rst, .ack]),
                Self.toServer(2000, flags: .syn),  // the ports reused
                Self.toServer(2001, Self.bye),
            ])
        )
        // The RST's sender's direction ends first.
        #expect(contents.endedStreams == [Self.downstream, Self.upstream])
        #expect(contents.payloads == [Array(Self.invite.prefix(10)), Array(Self.bye.prefix(4)), Self.bye])
    }

    @Test("a new SYN on a direction still open ends the old stream")
    func portReuseWhileOpen() throws {
        let contents = try readCapture(
            rawCapture([
                Self.toServer(1000, flags: .syn),
                Self.toServer(1001, Array(Self.invite.prefix(10))),
                Self.toServer(1000, flags: .syn),  // retransmitted SYN: no change
                Self.toServer(1011, Array(Self.invite.dropFirst(10))),
                Self.toServer(90_000, flags: .syn),  // a different connection
                Self.toServer(90_001, Self.bye),
            ])
        )
        #expect(contents.endedStreams == [Self.upstream])
        #expect(contents.payloads == [Array(Self.invite.prefix(10)), Array(Self.invite.dropFirst(10)), Self.bye])
    }

    @Test("delivers data carried on the SYN")
    func dataOnSyn() throws {
        let contents = try readCapture(rawCapture([Self.toServer(1000, Self.invite, flags: .syn)]))
        #expect(contents.payloads == [Self.invite])
    }

    @Test("a FIN or RST for a direction never seen produces nothing")
    func endOfUnknownDirection() throws {
        let contents = try readCapture(
            rawCapture([Self.toServer(1, flags: [.fin, .ack]), Self.toClient(1, flags: .rst)])
        )
        #expect(contents.events.isEmpty)
        #expect(contents.statistics.tcpSegments == 2)
    }

    @Test("resumes after a hole the capture never fills, once the buffer is full")
    func gapSkipped() throws {
        // 1 MiB and more held behind a 100-byte hole, in 1000-byte segments.
        var packets = [Self.toServer(0, flags: .syn), Self.toServer(1, Array(Self.invite.prefix(10)))]
        let chunk = [UInt8](repeating: UInt8(ascii: "z"), count: 1000)
        let segments = (TCPReassembler.bufferLimit / chunk.count) + 1
        for index in 0..<segments {
            packets.append(Self.toServer(111 + UInt32(index * chunk.count), chunk))
        }
        let contents = try readCapture(rawCapture(packets, spacingMicroseconds: 1))
        #expect(contents.statistics.tcpGaps == 1)
        #expect(contents.endedStreams == [Self.upstream])
        #expect(contents.streams[Self.upstream]?.count == 10 + segments * chunk.count)
        #expect(contents.statistics.tcpBytesUndelivered == 0)
    }

    @Test("counts bytes still held out of order at the end of the capture")
    func undeliveredAtEnd() throws {
        let contents = try readCapture(
            rawCapture([Self.toServer(1000, flags: .syn), Self.toServer(1101, Self.bye)])
        )
        #expect(contents.events.isEmpty)
        #expect(contents.statistics.tcpBytesUndelivered == Self.bye.count)
    }

    @Test("forgets closed directions after a minute, so later data on the same ports is a new stream")
    func closedDirectionsForgotten() throws {
        var writer = PcapWriter(linkType: 101)
        writer.add(Self.toServer(1000, flags: .syn), seconds: 10)
        writer.add(Self.toServer(1001, Self.invite, flags: [.ack, .psh, .fin]), seconds: 10)
        writer.add(Self.toServer(1001, Self.invite), seconds: 30)  // remembered: a retransmission
        writer.add(Self.toServer(1001, Self.invite), seconds: 100)  // forgotten: a mid-stream start
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads == [Self.invite, Self.invite])
        #expect(contents.endedStreams == [Self.upstream])
    }

    @Test("keeps connections apart by both addresses and both ports, IPv4 and IPv6")
    func connectionsKeptApart() throws {
        let v6 = Packet.ipv6(nextHeader: 6, payload: Packet.tcp(sequence: 1, payload: Self.bye))
        let otherPort = Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(source: 40001, sequence: 1, payload: Self.bye))
        let contents = try readCapture(rawCapture([Self.toServer(1, Self.invite), v6, otherPort]))
        #expect(contents.streams.count == 3)
        #expect(contents.streams[Self.upstream] == Self.invite)
        #expect(contents.streams["[2001:db8::a]:40000>[2001:db8::14]:5060"] == Self.bye)
    }

    @Test("remembers each closed connection for a minute, through thousands of them")
    func manyClosedConnections() throws {
        // 2000 connections from different ports, 100 ms apart, each closed by a FIN. At the
        // end, a retransmission on a connection closed 10 s earlier is recognised; one on a
        // connection closed 190 s earlier is news (a new mid-stream start).
        var writer = PcapWriter(linkType: 101)
        func segment(port: UInt16, _ sequence: UInt32, _ payload: [UInt8], _ flags: Packet.TCPFlags) -> [UInt8] {
            Packet.ipv4(protocolNumber: 6, payload: Packet.tcp(source: port, sequence: sequence, flags: flags, payload: payload))
        }
        for index in 0..<2000 {
            let seconds = 1000 + UInt32(index / 10)
            let fraction = UInt32(index % 10) * 100_000
            let port = UInt16(10_000 + index)
            writer.add(segment(port: port, 1, [], .syn), seconds: seconds, fraction: fraction)
            writer.add(segment(port: port, 2, Self.bye, [.ack, .psh, .fin]), seconds: seconds, fraction: fraction)
        }
        writer.add(segment(port: 10_000 + 1900, 2, Self.bye, .ack), seconds: 1200)
        writer.add(segment(port: 10_000, 2, Self.bye, .ack), seconds: 1200)
        let contents = try readCapture(writer.bytes)
        #expect(contents.payloads.count == 2001)
        #expect(contents.endedStreams.count == 2000)
        #expect(contents.events.last?.source.port == 10_000)
        #expect(contents.statistics.tcpBytesRetransmitted == Self.bye.count)
    }
}
