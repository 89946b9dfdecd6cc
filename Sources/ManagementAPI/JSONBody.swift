import Foundation
import Hummingbird

/// JSON responses as the management API writes them: keys sorted (stable output for
/// diffing and tests), slashes unescaped (URIs stay readable), UTF-8.
enum JSONBody {
    static func response(status: HTTPResponse.Status, body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(body)
        } catch {
            // The bodies are plain structs of strings, numbers and booleans; encoding them
            // cannot fail. Answer as Twilio would rather than trap.
            data = Data(
                #"{"code":20500,"message":"Internal Server Error","more_info":"https://www.twilio.com/docs/errors/20500","status":500}"#
                    .utf8)
            return Response(
                status: .internalServerError,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
