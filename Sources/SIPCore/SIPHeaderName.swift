/// The headers sipfence reads or rewrites, recognised by full or compact name
/// (RFC 3261 §7.3.3), case-insensitively; every other header is `other`.
public enum SIPHeaderName: Hashable, Sendable {
    case via
    case from
    case to
    case callID
    case cseq
    case maxForwards
    case contentLength
    case route
    case recordRoute
    case contact
    case date
    /// `Proxy-Authorization`: a client's credentials for a proxy (RFC 3261 §20.28), one
    /// per field.
    case proxyAuthorization
    /// `Proxy-Authenticate`: a proxy's challenge (RFC 3261 §20.27).
    case proxyAuthenticate
    /// `Authorization`: a client's credentials for the UAS or registrar (RFC 3261 §20.7).
    case authorization
    /// Any other header, carried through untouched.
    case other

    /// The canonical spelling, used when sipfence writes the header itself.
    public var canonicalName: String {
        switch self {
        case .via: "Via"
        case .from: "From"
        case .to: "To"
        case .callID: "Call-ID"
        case .cseq: "CSeq"
        case .maxForwards: "Max-Forwards"
        case .contentLength: "Content-Length"
        case .route: "Route"
        case .recordRoute: "Record-Route"
        case .contact: "Contact"
        case .date: "Date"
        case .proxyAuthorization: "Proxy-Authorization"
        case .proxyAuthenticate: "Proxy-Authenticate"
        case .authorization: "Authorization"
        case .other: "X-Other"
        }
    }

    /// Recognises a header name given as bytes.
    init(_ name: some Collection<UInt8>) {
        // Compact forms first: a single letter.
        if name.count == 1, let letter = name.first {
            switch letter | 0x20 {
            case UInt8(ascii: "v"): self = .via
            case UInt8(ascii: "f"): self = .from
            case UInt8(ascii: "t"): self = .to
            case UInt8(ascii: "i"): self = .callID
            case UInt8(ascii: "l"): self = .contentLength
            case UInt8(ascii: "m"): self = .contact
            default: self = .other
            }
            return
        }
        // Long forms: only the names of the same length are compared.
        func named(_ text: String) -> Bool { name.equalsCaseInsensitive(text) }
        switch name.count {
        case 2 where named("to"): self = .to
        case 3 where named("via"): self = .via
        case 4 where named("from"): self = .from
        case 4 where named("cseq"): self = .cseq
        case 4 where named("date"): self = .date
        case 5 where named("route"): self = .route
        case 7 where named("call-id"): self = .callID
        case 7 where named("contact"): self = .contact
        case 12 where named("max-forwards"): self = .maxForwards
        case 12 where named("record-route"): self = .recordRoute
        case 13 where named("authorization"): self = .authorization
        case 14 where named("content-length"): self = .contentLength
        case 18 where named("proxy-authenticate"): self = .proxyAuthenticate
        case 19 where named("proxy-authorization"): self = .proxyAuthorization
        default: self = .other
        }
    }
}

/// One header field of a parsed message: what it is and where its bytes are.
///
/// Values are kept as ranges of the message's bytes so that a forwarded or answered
/// message carries every header byte-exact, whatever its encoding.
public struct SIPHeaderField: Hashable, Sendable {
    /// Which header this is.
    public let name: SIPHeaderName
    /// The name as written.
    public let nameRange: Range<Int>
    /// The value, without the surrounding whitespace (line folds inside stay).
    public let valueRange: Range<Int>
    /// The whole field, from its name through the CRLF that ends its last line.
    public let fieldRange: Range<Int>
}
