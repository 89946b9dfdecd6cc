import Foundation
public import Hummingbird

/// Decodes request bodies the way Twilio's API takes them: `application/x-www-form-urlencoded`
/// with PascalCase keys.
///
/// The body is read up to the context's `maxUploadSize` and no further (a larger body is
/// refused with 413). A body with another content type is refused with 415; a body
/// without a content type is read as a form (clients send none with an empty body).
/// Malformed forms become Twilio's 400 naming the offending key.
public struct FormRequestDecoder: RequestDecoder {
    /// A decoder.
    public init() {}

    /// Decodes `type` from `request`'s form body.
    public func decode<T: Decodable>(
        _ type: T.Type, from request: Request, context: some RequestContext
    ) async throws -> T {
        if let contentType = request.headers[.contentType] {
            let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard mediaType == "application/x-www-form-urlencoded" else {
                throw TwilioError.unsupportedMediaType(contentType)
            }
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw TwilioError.bodyTooLarge(limit: context.maxUploadSize)
        }
        let form = String(buffer: buffer)
        // Twilio's parameters are flat names; a bracketed key (`Name[x]`) would decode as a
        // nested value, so refuse it here, where its name is still known.
        for pair in form.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0].removingPercentEncoding ?? String(parts[0])
            if key.contains("[") || key.contains("]") {
                throw TwilioError.invalidParameter(key, "parameter names have no brackets")
            }
            // No text sipfence stores or signs may hold a NUL (PostgreSQL's text cannot).
            if parts.count == 2, (parts[1].removingPercentEncoding ?? String(parts[1])).unicodeScalars.contains("\u{0}") {
                throw TwilioError.invalidParameter(key, "it contains a NUL character")
            }
        }
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: form)
        } catch let error as URLEncodedFormError {
            throw TwilioError.invalidParameter("the request body", error.description)
        } catch let error as DecodingError {
            throw TwilioError.invalidParameter(Self.parameter(in: error), "it must be a single text value")
        }
    }

    private static func parameter(in error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        return path.first?.stringValue ?? "the request body"
    }
}
