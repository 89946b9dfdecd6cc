import AccessControl
import Admission
import NIOCore
import NIOEmbedded
import Testing

@testable import SIPEdge

/// Counts the reads that reach the socket, to see when a handler holds them back.
private final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// The stream handler on its own, fed by an embedded channel, against a running edge's
/// pipeline (the policy of ``SIPEdgeTests``: 127.0.0.2 is in the domain's list).
@Suite("SIP stream handler: every message on a stream is decided on its event loop", .serialized)
struct SIPStreamHandlerTests {
    /// A refused caller's flow on connection 7.
    static let refused = SIPSource(
        transport: .tcp, address: IPAddress(ipv4: 0x7F00_0003), port: 5062, connection: SIPConnectionID(7), interface: nil)

    /// An embedded channel with a read counter, the framing and the handler for `edge`.
    private static func channel(for edge: SIPEdge) throws -> (EmbeddedChannel, ReadCounter) {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(SIPStreamDecoder(maximumMessageSize: 65_536, maximumHeaderSize: 16_384)))
        try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(edge: edge))
        return (channel, counter)
    }

    private static func written(_ channel: EmbeddedChannel) throws -> [String] {
        var answers: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            answers.append(String(buffer: buffer))
        }
        return answers
    }

    @Test("messages framed before the connection is registered are held, then decided in order when it is")
    func heldUntilStart() async throws {
        try await SIPEdgeTests().withEdge { edge, _, _ in
            let (channel, _) = try Self.channel(for: edge)
            defer { _ = try? channel.finish() }
            let first = SIPEdgeTests.invite(via: "TCP 127.0.0.3:5062", callID: "held-1")
            let second = SIPEdgeTests.invite(via: "TCP 127.0.0.3:5062", callID: "held-2")
            try channel.writeInbound(ByteBuffer(string: first + "\r\n\r\n" + second))
            #expect(try Self.written(channel).isEmpty, "nothing is decided before the connection is registered")
            #expect(try channel.readInbound(as: SIPEdge.Delivery.self) == nil, "and nothing goes to the task")

            channel.pipeline.fireUserInboundEventTriggered(SIPStreamHandler.Start(source: Self.refused))
            let answers = try Self.written(channel)
            #expect(answers.count == 3, "a 403, the keep-alive's pong, a 403: \(answers)")
            #expect(answers.first?.hasPrefix("SIP/2.0 403 Forbidden\r\n") == true)
            #expect(answers.first?.contains("Call-ID: held-1\r\n") == true)
            #expect(answers.dropFirst().first == "\r\n")
            #expect(answers.last?.contains("Call-ID: held-2\r\n") == true)

            // After Start, a message is answered as it is framed.
            try channel.writeInbound(ByteBuffer(string: SIPEdgeTests.invite(via: "TCP 127.0.0.3:5062", callID: "after")))
            #expect(try Self.written(channel).first?.contains("Call-ID: after\r\n") == true)
        }
    }

    @Test("a peer that sends more than the handler holds before registration is paused, not dropped")
    func readingPausesWhileHeld() async throws {
        try await SIPEdgeTests().withEdge { edge, _, _ in
            let (channel, counter) = try Self.channel(for: edge)
            defer { _ = try? channel.finish() }
            let pings = String(repeating: "\r\n\r\n", count: SIPStreamHandler.maximumHeldEvents)
            try channel.writeInbound(ByteBuffer(string: pings))
            channel.read()
            #expect(counter.reads == 0, "the read waits while \(SIPStreamHandler.maximumHeldEvents) events are held")

            channel.pipeline.fireUserInboundEventTriggered(SIPStreamHandler.Start(source: Self.refused))
            #expect(counter.reads == 1, "registration lets the held-back read through")
            #expect(try Self.written(channel).count == SIPStreamHandler.maximumHeldEvents, "every keep-alive is answered")
            channel.read()
            #expect(counter.reads == 2)
        }
    }
}
