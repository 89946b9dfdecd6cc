import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A connection to baresip's `ctrl_tcp` socket: commands as netstring-framed JSON
/// (`LEN:{"command":…,"params":…,"token":…},`), each answered by a response carrying the
/// same token, and events (`CALL_ESTABLISHED`, `CALL_CLOSED`, …) pushed on the same
/// connection.
///
/// baresip 1.0 keeps a single control connection (a new one replaces the old), so a UA
/// has exactly one of these, open for its whole life: every event is recorded in order,
/// and a test takes a mark (``eventCount``) before a command and waits for the event that
/// follows it, so none is missed between the command and its effect.
final class BaresipControl: Sendable {
    /// One frame from baresip: a response or an event.
    struct Message: Sendable, CustomStringConvertible {
        private struct Fields: Decodable {
            let event: Bool?
            let response: Bool?
            let ok: Bool?
            let type: String?
            let param: String?
            let data: String?
            let token: String?
        }

        let isEvent: Bool
        let isResponse: Bool
        let ok: Bool
        let type: String
        let param: String
        let data: String
        let token: String
        /// The JSON as received.
        let description: String

        init(json: String) throws {
            let fields = try JSONDecoder().decode(Fields.self, from: Data(json.utf8))
            isEvent = fields.event ?? false
            isResponse = fields.response ?? false
            ok = fields.ok ?? false
            type = fields.type ?? ""
            param = fields.param ?? ""
            data = fields.data ?? ""
            token = fields.token ?? ""
            description = json
        }
    }

    /// What the reader thread and the test share.
    private struct State {
        var buffer: [UInt8] = []
        var messages: [Message] = []
        var closed = false
        var failure: String?
    }

    let name: String
    private let descriptor: Int32
    private let state = Mutex(State())
    private let nextToken = Mutex(0)

    private init(name: String, descriptor: Int32) {
        self.name = name
        self.descriptor = descriptor
    }

    /// Connects to the control socket on `port` of `namespace`'s loopback, retrying while
    /// `process` starts up.
    static func connect(
        in namespace: NetworkNamespace, port: Int, process: ManagedProcess, within seconds: Double = 10
    ) async throws -> BaresipControl {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            do {
                let descriptor = try await namespace.connect(toIPv4: "127.0.0.1", port: port)
                let control = BaresipControl(name: process.name, descriptor: descriptor)
                control.readInBackground()
                return control
            } catch {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    throw HarnessError.timeout(
                        "\(process.name): no control socket on port \(port) (\(error)); "
                            + "stdout:\n\(process.standardOutput.suffix(2000))\nstderr:\n\(process.standardError.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Reads frames until the connection ends, then closes the socket (the only place
    /// that does).
    private func readInBackground() {
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = read(descriptor, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                state.withLock { state in
                    state.buffer += chunk[0..<count]
                    Self.takeFrames(from: &state)
                }
            }
            state.withLock { state in
                state.closed = true
                Glibc.close(descriptor)
            }
        }
    }

    /// Moves every complete netstring of the buffer into `messages`.
    private static func takeFrames(from state: inout State) {
        while let colon = state.buffer.firstIndex(of: UInt8(ascii: ":")) {
            guard let length = Int(String(decoding: state.buffer[..<colon], as: UTF8.self)), length >= 0 else {
                state.failure = "not a netstring: \(String(decoding: state.buffer.prefix(200), as: UTF8.self))"
                state.buffer.removeAll()
                return
            }
            let end = colon + 1 + length
            guard state.buffer.count > end else { return }  // the payload and its trailing ","
            let json = String(decoding: state.buffer[(colon + 1)..<end], as: UTF8.self)
            state.buffer.removeFirst(end + 1)
            do {
                state.messages.append(try Message(json: json))
            } catch {
                state.failure = "undecodable frame \(json): \(error)"
            }
        }
    }

    /// Every message received so far.
    var messages: [Message] { state.withLock { $0.messages } }

    /// The number of messages received so far: a mark for ``waitForEvent(_:param:after:failingOn:within:)``.
    var eventCount: Int { state.withLock { $0.messages.count } }

    /// Sends `command` with `params`, and waits for its response; throws unless it is `ok`.
    @discardableResult
    func send(_ command: String, _ params: String = "", within seconds: Double = 5) async throws -> Message {
        let token = nextToken.withLock { value in
            value += 1
            return "\(value)"
        }
        let request = try JSONSerialization.data(withJSONObject: ["command": command, "params": params, "token": token])
        let frame = Array("\(request.count):".utf8) + Array(request) + Array(",".utf8)
        let written = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            return frame.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == frame.count
        }
        guard written else { throw HarnessError.failed("\(name): cannot send \(command): the control connection is closed") }
        let response = try await wait(for: "the response to \(command)", within: seconds) { $0.isResponse && $0.token == token }
        guard response.ok else { throw HarnessError.failed("\(name): \(command) \(params) failed: \(response)") }
        return response
    }

    /// Waits for the first event of `type` (with `param`, if given) received after the
    /// first `mark` messages; fails at once if an event in `failingOn` comes first.
    @discardableResult
    func waitForEvent(
        _ type: String, param: String? = nil, after mark: Int, failingOn failures: Set<String> = [], within seconds: Double = 10
    ) async throws -> Message {
        let event = try await wait(for: "event \(type)", after: mark, within: seconds) { message in
            message.isEvent && (message.type == type && (param == nil || message.param == param) || failures.contains(message.type))
        }
        guard event.type == type else { throw HarnessError.failed("\(name): \(event.type) instead of \(type): \(event)") }
        return event
    }

    private func wait(
        for what: String, after mark: Int = 0, within seconds: Double, _ matches: (Message) -> Bool
    ) async throws -> Message {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let (messages, closed, failure) = state.withLock { ($0.messages, $0.closed, $0.failure) }
            if let found = messages.dropFirst(mark).first(where: matches) { return found }
            if let failure { throw HarnessError.failed("\(name): \(failure)") }
            guard !closed, ContinuousClock.now < deadline else {
                let received = messages.dropFirst(mark).map(\.description).joined(separator: "\n")
                throw HarnessError.timeout("\(name): no \(what) within \(seconds) s\(closed ? " (connection closed)" : ""); received since:\n\(received)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Ends the connection (the reader thread then closes the socket).
    func close() {
        state.withLock { state in
            if !state.closed { shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }
}
