extension SIPMessage {
    /// The request as a stateless proxy forwards it (RFC 3261 §16.6, §16.11, RFC 3581).
    ///
    /// Every header is copied byte-exact except these: `proxyVia` is pushed on top; the
    /// received top Via is replaced by `receivedVia` (stamped with the source); Max-Forwards
    /// is decremented, or added as 70 when absent; the first Route value is removed when
    /// `removingFirstRoute` (it named this proxy, §16.4); every `Proxy-Authorization` field
    /// holding Digest credentials for realm `removingProxyAuthorizationFor` is removed (this
    /// proxy consumed them, §22.3) while credentials for other realms, of other schemes or
    /// that do not parse are kept (a proxy must not remove those); and Content-Length is
    /// added when absent and `requiringContentLength` (the next hop is a stream transport).
    ///
    /// Call this only for requests with Max-Forwards above 0.
    public func forwarded(
        proxyVia: SIPVia,
        receivedVia: SIPVia,
        removingFirstRoute: Bool = false,
        removingProxyAuthorizationFor realm: String? = nil,
        requiringContentLength: Bool = false
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 160)
        out.append(contentsOf: bytes[startLineRange])
        out.appendCRLF()
        out.append("Via: ")
        proxyVia.append(to: &out)
        out.appendCRLF()
        var viaDone = false
        var routeDone = !removingFirstRoute
        for field in headerFields {
            switch field.name {
            case .via where !viaDone:
                viaDone = true
                out.append("Via: ")
                receivedVia.append(to: &out)
                out.append(contentsOf: bytes[topViaRange.upperBound..<field.valueRange.upperBound])
                out.appendCRLF()
            case .maxForwards:
                out.append("Max-Forwards: \(max(0, (maxForwards ?? 71) - 1))\r\n")
            case .route where !routeDone:
                routeDone = true
                if let rest = bytes.valuesAfterFirst(in: field.valueRange) {
                    out.appendHeader("Route", bytes[rest])
                }
            case .proxyAuthorization where realm.map({ isProxyAuthorization(field, forRealm: $0) }) ?? false:
                break  // our own credentials: consumed here
            default:
                out.append(contentsOf: bytes[field.fieldRange])
            }
        }
        if maxForwards == nil { out.append("Max-Forwards: 70\r\n") }
        if contentLength == nil && requiringContentLength { out.append("Content-Length: \(bodyRange.count)\r\n") }
        out.appendCRLF()
        out.append(contentsOf: bytes[bodyRange])
        return out
    }

    /// The response without its top Via, as a proxy relays it to the next Via
    /// (RFC 3261 §16.7 step 3, §16.11). Everything else is copied byte-exact.
    public func removingTopVia() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        out.append(contentsOf: bytes[startLineRange])
        out.appendCRLF()
        var viaDone = false
        for field in headerFields {
            if field.name == .via && !viaDone {
                viaDone = true
                if let rest = bytes.valuesAfterFirst(in: field.valueRange) {
                    out.appendHeader("Via", bytes[rest])
                }
                continue
            }
            out.append(contentsOf: bytes[field.fieldRange])
        }
        out.appendCRLF()
        out.append(contentsOf: bytes[bodyRange])
        return out
    }
}

extension Array where Element == UInt8 {
    /// In a multi-valued header field, the range of the values after the first one, or
    /// `nil` when there is only one.
    func valuesAfterFirst(in range: Range<Int>) -> Range<Int>? {
        let parts = splitHeaderValues(range)
        guard parts.count > 1, let second = parts.dropFirst().first else { return nil }
        return second.lowerBound..<range.upperBound
    }
}
