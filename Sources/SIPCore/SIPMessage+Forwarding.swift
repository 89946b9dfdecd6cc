extension SIPMessage {
    /// The request as a stateless proxy forwards it (RFC 3261 §16.6, §16.11, RFC 3581).
    ///
    /// Every header is copied byte-exact except these: `proxyVia` is pushed on top; the
    /// received top Via is replaced by `receivedVia` (stamped with the source); Max-Forwards
    /// is decremented, or added as 70 when absent; the first `removingFirstRoutes` Route
    /// values are removed (they named this proxy, §16.4), and the remaining ones written as
    /// one Route field; with `strictRouting` (the Request-URI was this proxy's own
    /// Record-Route, so the previous hop is a strict router, §16.4) the Request-URI is
    /// replaced by the last Route value, which is removed (its URI without headers,
    /// which a Request-URI may not carry); `recordRoute` URIs are inserted
    /// as Record-Route values above any others, in the order given (§16.6 item 4,
    /// RFC 5658: the first is the one the next hop sees first); `path` URIs likewise as
    /// Path values (RFC 3327 §5.1); every `Proxy-Authorization` field holding Digest
    /// credentials for realm `removingProxyAuthorizationFor` is removed (this proxy
    /// consumed them, §22.3) while credentials for other realms, of other schemes or that
    /// do not parse are kept (a proxy must not remove those); and Content-Length is added
    /// when absent and `requiringContentLength` (the next hop is a stream transport).
    ///
    /// Call this only for requests with Max-Forwards above 0.
    public func forwarded(
        proxyVia: SIPVia,
        receivedVia: SIPVia,
        removingFirstRoutes: Int = 0,
        strictRouting: Bool = false,
        recordRoute: [String] = [],
        path: [String] = [],
        removingProxyAuthorizationFor realm: String? = nil,
        requiringContentLength: Bool = false
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 160 + 120 * (recordRoute.count + path.count))
        // The Route values that stay, and the Request-URI.
        var routeValues = headerFields.filter { $0.name == .route }.flatMap { bytes.splitHeaderValues($0.valueRange) }
        routeValues.removeFirst(min(removingFirstRoutes, routeValues.count))
        if strictRouting, case .request(let method, _) = startLine, let last = routes.last, !routeValues.isEmpty {
            routeValues.removeLast()
            out.append("\(method) \(last.uri.requestURIText) SIP/2.0")
        } else {
            out.append(contentsOf: bytes[startLineRange])
        }
        out.appendCRLF()
        out.append("Via: ")
        proxyVia.append(to: &out)
        out.appendCRLF()
        let lastVia = headerFields.lastIndex { $0.name == .via }
        let firstRecordRoute = headerFields.firstIndex { $0.name == .recordRoute }
        let firstPath = headerFields.firstIndex { $0.isNamed("Path", in: bytes) }
        var viaDone = false
        var routeDone = false
        for (index, field) in headerFields.enumerated() {
            if index == firstRecordRoute { out.appendHeaderValues("Record-Route", recordRoute) }
            if index == firstPath { out.appendHeaderValues("Path", path) }
            switch field.name {
            case .via where !viaDone:
                viaDone = true
                out.append("Via: ")
                receivedVia.append(to: &out)
                out.append(contentsOf: bytes[topViaRange.upperBound..<field.valueRange.upperBound])
                out.appendCRLF()
            case .maxForwards:
                out.append("Max-Forwards: \(max(0, (maxForwards ?? 71) - 1))\r\n")
            case .route where removingFirstRoutes == 0 && !strictRouting:
                out.append(contentsOf: bytes[field.fieldRange])
            case .route:
                guard !routeDone else { break }
                routeDone = true
                if !routeValues.isEmpty {
                    out.append("Route: ")
                    for (position, value) in routeValues.enumerated() {
                        if position > 0 { out.append(", ") }
                        out.append(contentsOf: bytes[value])
                    }
                    out.appendCRLF()
                }
            case .proxyAuthorization where realm.map({ isProxyAuthorization(field, forRealm: $0) }) ?? false:
                break  // our own credentials: consumed here
            default:
                out.append(contentsOf: bytes[field.fieldRange])
            }
            if index == lastVia {
                if firstRecordRoute == nil { out.appendHeaderValues("Record-Route", recordRoute) }
                if firstPath == nil { out.appendHeaderValues("Path", path) }
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

extension SIPHeaderField {
    /// Whether the field's name is `name` (ASCII case ignored): for headers sipfence
    /// does not parse.
    func isNamed(_ name: String, in bytes: [UInt8]) -> Bool {
        bytes[nameRange].equalsCaseInsensitive(name)
    }
}

extension Array where Element == UInt8 {
    /// Appends one field `name` with each URI as a name-addr value (`<uri>`), one field
    /// per value; nothing when `uris` is empty.
    mutating func appendHeaderValues(_ name: String, _ uris: [String]) {
        for uri in uris {
            append("\(name): <\(uri)>\r\n")
        }
    }

    /// In a multi-valued header field, the range of the values after the first one, or
    /// `nil` when there is only one.
    func valuesAfterFirst(in range: Range<Int>) -> Range<Int>? {
        let parts = splitHeaderValues(range)
        guard parts.count > 1, let second = parts.dropFirst().first else { return nil }
        return second.lowerBound..<range.upperBound
    }
}
