import COSIP
import Glibc

/// The bridge to libosip2's header parsers. The only code in sipfence that touches C.
///
/// sipfence frames messages itself and hands libosip2 one header value at a time (never
/// a body — libosip2's known vulnerabilities sit in body handling). Every allocation
/// libosip2 makes is freed before a function here returns, on every path; results are
/// plain Swift values.
enum LibOSIP {
    /// `parser_init()` fills static tables and is not thread-safe: a static `let` is
    /// initialised exactly once, atomically, on first use.
    private static let isInitialized: Bool = {
        sipfence_osip_disable_traces()
        return parser_init() == 0
    }()

    /// Initialises libosip2's parser if that has not happened yet.
    static func initialize() {
        precondition(isInitialized, "libosip2 parser_init() failed")
    }

    /// Runs `body` with a NUL-terminated copy of `bytes[range]` in which line folds
    /// (CR, LF) become spaces and NULs (only legal escaped inside quoted strings, which
    /// framing has checked) become `0`: libosip2 reads C strings.
    static func withCString<Result>(
        _ bytes: [UInt8],
        _ range: Range<Int>,
        _ body: (UnsafePointer<CChar>) -> Result?
    ) -> Result? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: range.count + 1) { buffer in
            guard let base = buffer.baseAddress else { return nil }
            bytes.withUnsafeBufferPointer { source in
                precondition(range.lowerBound >= 0 && range.upperBound <= source.count, "range outside the message")
                guard let from = source.baseAddress, !range.isEmpty else { return }
                base.update(from: from + range.lowerBound, count: range.count)
            }
            // Only CR, LF and NUL are rewritten; every other byte is copied as is. 16 bytes
            // at a time are passed over while none is a control character up to CR.
            let raw = UnsafeRawPointer(base)
            var index = 0
            while index < range.count {
                if index + 16 <= range.count, raw.sixteenBytesAboveCR(at: index) {
                    index += 16
                    continue
                }
                switch buffer[index] {
                case .cr, .lf: buffer[index] = .space
                case 0: buffer[index] = UInt8(ascii: "0")
                default: break
                }
                index += 1
            }
            buffer[range.count] = 0
            return base.withMemoryRebound(to: CChar.self, capacity: range.count + 1) { body(UnsafePointer($0)) }
        }
    }

    /// Parses one Via value (`SIP/2.0/UDP host:port;params`). With `anyVersion`, another
    /// SIP version is accepted too — only so that a `505` can be addressed.
    static func parseVia(_ text: UnsafePointer<CChar>, anyVersion: Bool = false) -> SIPVia? {
        var pointer: UnsafeMutablePointer<osip_via_t>?
        guard osip_via_init(&pointer) == 0, let via = pointer else { return nil }
        defer { osip_via_free(via) }
        guard osip_via_parse(via, text) == 0,
            let version = string(via.pointee.version), version == "2.0" || anyVersion,
            let transport = string(via.pointee.protocol), !transport.isEmpty,
            let host = string(via.pointee.host), !host.isEmpty
        else { return nil }
        var port: Int?
        if let portText = via.pointee.port {
            guard let value = decimal(portText), (1...65535).contains(value) else { return nil }
            port = value
        }
        guard let parameters = parameters(via.pointee.via_params) else { return nil }
        return SIPVia(transport: transport, host: host, port: port, parameters: parameters)
    }

    /// Parses a name-addr or addr-spec with header parameters (From, To, Route,
    /// Record-Route, Contact). `uriText` is the URI as received, which libosip2 does not keep.
    static func parseNameAddress(_ text: UnsafePointer<CChar>, uriText: String) -> SIPNameAddress? {
        var pointer: UnsafeMutablePointer<osip_from_t>?
        guard osip_from_init(&pointer) == 0, let from = pointer else { return nil }
        defer { osip_from_free(from) }
        guard osip_from_parse(from, text) == 0,
            let url = from.pointee.url,
            let uri = uri(url, text: uriText),
            let parameters = parameters(from.pointee.gen_params)
        else { return nil }
        return SIPNameAddress(displayName: string(from.pointee.displayname), uri: uri, parameters: parameters)
    }

    /// Checks a From/To/Contact/Route/Record-Route value exactly as ``parseNameAddress(_:uriText:)``
    /// does, without building its Swift value: `nil` when libosip2 cannot parse it or
    /// ``parseNameAddress(_:uriText:)`` would refuse it, else the value of its `tag`
    /// parameter (itself `nil` when there is none). The parser keeps only the tags of
    /// From and To; their other parts are parsed again when asked for.
    static func checkNameAddress(_ text: UnsafePointer<CChar>) -> String?? {
        var pointer: UnsafeMutablePointer<osip_from_t>?
        guard osip_from_init(&pointer) == 0, let from = pointer else { return nil }
        defer { osip_from_free(from) }
        guard osip_from_parse(from, text) == 0, let url = from.pointee.url, isAcceptableURI(url),
            hasNamedParameters(from.pointee.gen_params)
        else { return nil }
        var tag: String?
        forEachParameter(from.pointee.gen_params) { name, value in
            guard strcasecmp(name, "tag") == 0 else { return true }
            tag = value.map { String(cString: $0) }
            return false
        }
        return .some(tag)
    }

    /// Whether `url` is a URI sipfence accepts: a scheme, a port (if any) from 1 to 65535,
    /// named parameters and headers, and a host for `sip` and `sips`.
    private static func isAcceptableURI(_ url: UnsafeMutablePointer<osip_uri_t>) -> Bool {
        guard let scheme = url.pointee.scheme else { return false }
        if let port = url.pointee.port {
            guard let value = decimal(port), (1...65535).contains(value) else { return false }
        }
        guard hasNamedParameters(url.pointee.url_params), hasNamedParameters(url.pointee.url_headers) else {
            return false
        }
        if strcasecmp(scheme, "sip") == 0 || strcasecmp(scheme, "sips") == 0 {
            guard let host = url.pointee.host, host.pointee != 0 else { return false }
        }
        return true
    }

    /// Whether every parameter in `list` has a name, as ``parameters(_:)`` requires.
    private static func hasNamedParameters(_ list: osip_list_t) -> Bool {
        var named = true
        forEachParameter(list) { name, _ in
            named = name.pointee != 0
            return named
        }
        return named
    }

    /// Calls `body` with each parameter's name and value, in order, until it returns `false`.
    /// A parameter without a name is passed as an empty name.
    private static func forEachParameter(
        _ list: osip_list_t,
        _ body: (UnsafePointer<CChar>, UnsafePointer<CChar>?) -> Bool
    ) {
        var node = list.node
        var remaining = list.nb_elt
        while let current = node, remaining > 0 {
            if let element = current.pointee.element?.assumingMemoryBound(to: osip_uri_param_t.self) {
                let keepGoing: Bool
                if let name = element.pointee.gname {
                    keepGoing = body(name, element.pointee.gvalue)
                } else {
                    keepGoing = "".withCString { body($0, element.pointee.gvalue) }
                }
                guard keepGoing else { return }
            }
            node = current.pointee.next
            remaining -= 1
        }
    }

    /// Parses a URI on its own (the Request-URI).
    static func parseURI(_ text: UnsafePointer<CChar>, uriText: String) -> SIPURI? {
        var pointer: UnsafeMutablePointer<osip_uri_t>?
        guard osip_uri_init(&pointer) == 0, let url = pointer else { return nil }
        defer { osip_uri_free(url) }
        guard osip_uri_parse(url, text) == 0 else { return nil }
        return uri(url, text: uriText)
    }

    /// Parses a CSeq value into its number text and method.
    static func parseCSeq(_ text: UnsafePointer<CChar>) -> (number: String, method: String)? {
        var pointer: UnsafeMutablePointer<osip_cseq_t>?
        guard osip_cseq_init(&pointer) == 0, let cseq = pointer else { return nil }
        defer { osip_cseq_free(cseq) }
        guard osip_cseq_parse(cseq, text) == 0,
            let number = string(cseq.pointee.number),
            let method = string(cseq.pointee.method)
        else { return nil }
        return (number, method)
    }

    private static func uri(_ url: UnsafeMutablePointer<osip_uri_t>, text: String) -> SIPURI? {
        // What is acceptable is decided once, by isAcceptableURI (checkNameAddress uses it too).
        guard isAcceptableURI(url), let scheme = Optional(url.pointee.scheme).map(lowercasedScheme),
            let uriParameters = parameters(url.pointee.url_params),
            let headers = parameters(url.pointee.url_headers)
        else { return nil }
        var port: Int?
        if let text = url.pointee.port { port = decimal(text) }
        return SIPURI(
            scheme: scheme,
            user: string(url.pointee.username),
            host: string(url.pointee.host),
            port: port,
            parameters: uriParameters,
            headers: headers,
            text: text
        )
    }

    /// The `name[=value]` pairs of a libosip2 parameter list, in order; `nil` when a
    /// name is empty (`;;`).
    private static func parameters(_ list: osip_list_t) -> [SIPParameter]? {
        var result: [SIPParameter] = []
        result.reserveCapacity(Int(list.nb_elt))
        var node = list.node
        var remaining = list.nb_elt
        while let current = node, remaining > 0 {
            if let element = current.pointee.element?.assumingMemoryBound(to: osip_uri_param_t.self) {
                guard let name = string(element.pointee.gname), !name.isEmpty else { return nil }
                result.append(SIPParameter(name: name, value: string(element.pointee.gvalue)))
            }
            node = current.pointee.next
            remaining -= 1
        }
        return result
    }

    /// A URI scheme in lower case; `sip` and `sips`, nearly every URI, without a
    /// Unicode case mapping.
    private static func lowercasedScheme(_ scheme: UnsafeMutablePointer<CChar>) -> String {
        if strcasecmp(scheme, "sip") == 0 { return "sip" }
        if strcasecmp(scheme, "sips") == 0 { return "sips" }
        return String(cString: scheme).lowercased()
    }

    /// The value of a decimal number as `Int(_: String)` reads it (an optional sign, then
    /// digits), without making a String; `nil` when it is not one or does not fit.
    static func decimal(_ text: UnsafePointer<CChar>) -> Int? {
        var pointer = text
        let negative = pointer.pointee == CChar(UInt8(ascii: "-"))
        if negative || pointer.pointee == CChar(UInt8(ascii: "+")) { pointer += 1 }
        guard pointer.pointee != 0 else { return nil }
        var value = 0
        while pointer.pointee != 0 {
            let digit = Int(pointer.pointee) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit) else { return nil }
            // Negative numbers accumulate downwards, so that Int.min fits as it does in Int(_:).
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflowed, !carried else { return nil }
            value = sum
            pointer += 1
        }
        return value
    }

    private static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
