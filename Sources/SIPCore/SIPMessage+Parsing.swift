/// How a message arrived, which decides how its end is found.
public enum SIPFraming: Hashable, Sendable {
    /// One UDP datagram is one message; octets beyond Content-Length are discarded
    /// (RFC 3261 §18.3, RFC 4475 §3.1.1.8). Content-Length may be absent.
    case datagram
    /// The message was cut from a byte stream by Content-Length, which must be present.
    case stream
}

extension SIPMessage {
    /// Parses and validates `input`.
    ///
    /// The message is framed by sipfence (start line, header lines with folding, body by
    /// Content-Length) and the headers that matter are parsed by libosip2, one value at a
    /// time. On failure the error carries what is needed to answer the request with a
    /// `400` when that is possible (see ``SIPMalformedMessage``).
    public convenience init(parsing input: [UInt8], framing: SIPFraming) throws(SIPMalformedMessage) {
        LibOSIP.initialize()
        var parser = Parser(input: input, framing: framing)
        self.init(try parser.parse())
    }

    /// The values of every `header` field (From, To, Contact, Route or Record-Route), in
    /// order, parsed again from the message's bytes: the parser keeps only what the
    /// pipeline reads (see ``fromTag``). Empty when there is no such field, or for a
    /// Contact of `*`.
    public func nameAddresses(_ header: SIPHeaderName) -> [SIPNameAddress] {
        let parser = Parser(input: bytes, framing: .datagram)
        var values: [SIPNameAddress] = []
        for field in headerFields where field.name == header {
            // Every value was checked when the message was parsed, so this cannot fail.
            values += (try? parser.nameAddresses(field.valueRange, header: header)) ?? []
        }
        return values
    }
}

/// The first field of each header that may appear only once.
private struct SingleFields {
    private var from: SIPHeaderField?
    private var to: SIPHeaderField?
    private var callID: SIPHeaderField?
    private var cseq: SIPHeaderField?
    private var maxForwards: SIPHeaderField?

    subscript(name: SIPHeaderName) -> SIPHeaderField? {
        get {
            switch name {
            case .from: from
            case .to: to
            case .callID: callID
            case .cseq: cseq
            case .maxForwards: maxForwards
            default: nil
            }
        }
        set {
            switch name {
            case .from: from = newValue
            case .to: to = newValue
            case .callID: callID = newValue
            case .cseq: cseq = newValue
            case .maxForwards: maxForwards = newValue
            default: break
            }
        }
    }
}

/// The parser's working state. One instance parses one message.
struct Parser {
    let input: [UInt8]
    let framing: SIPFraming
    /// What is known so far for answering the request, once the top Via has parsed.
    var reply: SIPReplyContext?
    /// The method, once the start line looked like a request.
    var method: String?
    /// The start line, once the message was split into lines.
    var startLine: Range<Int>?
    /// The first Call-ID field, once the header fields were found.
    var callIDField: SIPHeaderField?

    init(input: [UInt8], framing: SIPFraming) {
        self.input = input
        self.framing = framing
    }

    func fail(_ error: SIPParseError) -> SIPMalformedMessage {
        SIPMalformedMessage(
            error: error, method: method, reply: reply, callID: readableCallID(), requestURIHost: readableRequestURIHost())
    }

    /// The Call-ID of a refused message when it is one word, so that an operator can find
    /// the call (only on the failure path).
    func readableCallID() -> String? {
        guard let field = callIDField, !field.valueRange.isEmpty,
            !input[field.valueRange].contains(where: { $0 <= .space || $0 == 0x7F })
        else { return nil }
        return input[field.valueRange].text
    }

    /// The host of a refused request's SIP Request-URI when libosip2 can read it, whatever
    /// else is wrong with the message (only on the failure path; never throws).
    func readableRequestURIHost() -> String? {
        guard method != nil, let line = startLine,
            let firstSpace = input[line].firstIndex(of: .space),
            let secondSpace = input[(firstSpace + 1)..<line.upperBound].firstIndex(of: .space),
            !input[(secondSpace + 1)..<line.upperBound].contains(.space)
        else { return nil }
        let range = (firstSpace + 1)..<secondSpace
        guard !range.isEmpty, input[range].prefix(4).equalsCaseInsensitive("sip:") || input[range].prefix(5).equalsCaseInsensitive("sips:"),
            input[range].last != .greaterThan
        else { return nil }
        return LibOSIP.withCString(input, range, { LibOSIP.parseURI($0, uriText: "") })?.host
    }

    mutating func parse() throws(SIPMalformedMessage) -> SIPMessage.Parts {
        // 1. Frame: start line, header lines, body.
        var start = 0
        while start + 1 < input.count, input[start] == .cr, input[start + 1] == .lf { start += 2 }
        guard start < input.count else { throw fail(.empty) }

        let bodyStart: Int
        let startLine: Range<Int>
        let fields: [SIPHeaderField]
        if case .framed(let line, let framedFields, let headerEnd) = frameHeader(start..<input.count, endingAtEmptyLine: true) {
            // The usual case, in one pass: a clean header section closed by an empty line.
            startLine = line
            fields = framedFields
            bodyStart = headerEnd + 2
        } else {
            // Anything else is framed again the careful way, which finds the end of the
            // header section first and so reports exactly which error comes first.
            let headerEnd: Int  // end of the last header line's CRLF
            if let emptyLine = input.indexOfEmptyLine(from: start) {
                headerEnd = emptyLine + 2
                bodyStart = emptyLine + 4
            } else if framing == .datagram, input.count >= 2, input[input.count - 2] == .cr, input[input.count - 1] == .lf {
                // A datagram whose last header line ends the packet: there is no body.
                headerEnd = input.count
                bodyStart = input.count
            } else {
                throw fail(.missingEndOfHeaders)
            }
            switch frameHeader(start..<headerEnd, endingAtEmptyLine: false) {
            case .framed(let line, let framedFields, _):
                startLine = line
                fields = framedFields
            case .invalidControlCharacter(let line):
                throw fail(.invalidControlCharacter(line: line))
            case .malformedHeaderLine(let line, let number):
                self.startLine = line
                throw fail(.malformedHeaderLine(line: number))
            case .unterminated:
                throw fail(.missingEndOfHeaders)  // not returned without endingAtEmptyLine
            }
        }
        self.startLine = startLine

        // 2. Find the headers a reply needs, so that later errors can be answered.
        var single = SingleFields()
        var viaCount = 0
        for field in fields {
            if field.name == .via {
                viaCount += 1
            } else if single[field.name] == nil {
                // The first occurrence answers; repeats are judged in step 4.
                single[field.name] = field
            }
        }
        callIDField = single[.callID]
        if !input[startLine].prefix(4).equalsCaseInsensitive("SIP/"), let space = input[startLine].firstIndex(of: .space), input[startLine.lowerBound..<space].isToken {
            method = input[startLine.lowerBound..<space].text
        }
        // A request in another SIP version is answered with 505, addressed by its top Via
        // in that version; nothing else accepts a Via that is not SIP/2.0.
        let otherVersion = method != nil && !input[startLine].suffix(8).equalsCaseInsensitive(" SIP/2.0")
        var vias: [SIPVia] = []
        vias.reserveCapacity(viaCount)
        var topViaRange: Range<Int>?
        let input = self.input
        for field in fields where field.name == .via {
            try input.forEachHeaderValue(field.valueRange) { (part) throws(SIPMalformedMessage) in
                guard !part.isEmpty else { throw fail(.malformedHeader(.via, "empty value")) }
                let lenient = otherVersion && vias.isEmpty
                // sipfence writes the top Via back from its parsed parameters (stamped), so
                // they must be generic-params it can read again; libosip2 accepts more.
                let parameters = (input[part].firstIndex(of: .semicolon) ?? part.upperBound)..<part.upperBound
                // `SIP / 2.0 / UDP` may be spread out by whitespace and folds (RFC 3261 SLASH).
                guard input.startsIgnoringWhitespace(part, with: lenient ? "SIP/" : "SIP/2.0/"),
                    areGenericParameters(parameters),
                    let via = LibOSIP.withCString(input, part, { LibOSIP.parseVia($0, anyVersion: lenient) })
                else {
                    throw fail(.malformedHeader(.via, vias.isEmpty ? "unparsable top value" : "unparsable value"))
                }
                if vias.isEmpty {
                    topViaRange = part
                    if let method, method != "ACK" {
                        reply = SIPReplyContext(
                            bytes: input,
                            fields: fields,
                            topVia: via,
                            topViaRange: part,
                            from: single[.from],
                            to: single[.to],
                            callID: single[.callID],
                            cseq: single[.cseq]
                        )
                    }
                }
                vias.append(via)
            }
        }

        // 3. The start line.
        let parsedStartLine = try parseStartLine(startLine)

        // 4. The remaining headers.
        for field in fields where field.name != .via && field.name != .other {
            if let first = single[field.name], first != field, input[first.valueRange] != input[field.valueRange] {
                throw fail(.conflictingHeaders(field.name))
            }
        }
        guard let topViaRange, let topVia = vias.first else { throw fail(.missingHeader(.via)) }
        guard let fromField = single[.from] else { throw fail(.missingHeader(.from)) }
        guard let toField = single[.to] else { throw fail(.missingHeader(.to)) }
        guard let callIDField = single[.callID] else { throw fail(.missingHeader(.callID)) }
        guard let cseqField = single[.cseq] else { throw fail(.missingHeader(.cseq)) }

        let fromTag = try nameAddressTag(fromField.valueRange, header: .from)
        let toTag = try nameAddressTag(toField.valueRange, header: .to)
        let callID = try parseCallID(callIDField.valueRange)
        let cseq = try parseCSeq(cseqField.valueRange)
        if case .request(let method, _) = parsedStartLine, cseq.method != method {
            throw fail(.cseqMethodMismatch(cseq: cseq.method, method: method))
        }
        var maxForwards: Int?
        if let field = single[.maxForwards] { maxForwards = try parseMaxForwards(field.valueRange) }

        var routes: [SIPNameAddress] = []
        var contentLength: Int?
        for field in fields {
            switch field.name {
            case .route:
                routes += try nameAddresses(field.valueRange, header: .route)
            case .recordRoute:
                try checkNameAddresses(field.valueRange, header: .recordRoute)
            case .contact:
                if input[field.valueRange] != [UInt8(ascii: "*")] {
                    try checkNameAddresses(field.valueRange, header: .contact)
                }
            case .date:
                guard isRFC1123Date(field.valueRange) else {
                    throw fail(.malformedHeader(.date, "not an RFC 1123 date in GMT"))
                }
            case .contentLength:
                let value = try parseContentLength(field.valueRange)
                if let contentLength, contentLength != value { throw fail(.conflictingHeaders(.contentLength)) }
                contentLength = value
            default:
                break
            }
        }

        // 5. The body.
        let available = input.count - bodyStart
        let bodyLength: Int
        if let contentLength {
            guard contentLength <= available else {
                throw fail(.truncatedBody(declared: contentLength, received: available))
            }
            bodyLength = contentLength
        } else {
            guard framing == .datagram else { throw fail(.missingContentLength) }
            bodyLength = available
        }
        let end = bodyStart + bodyLength
        let (requestMethod, requestURI): (String?, SIPURI?) =
            switch parsedStartLine {
            case .request(let method, let uri): (method, uri)
            case .response: (nil, nil)
            }
        let bytes = end == input.count ? input : Array(input[..<end])
        return SIPMessage.Parts(
            bytes: bytes,
            startLine: parsedStartLine,
            method: requestMethod,
            requestURI: requestURI,
            startLineRange: startLine,
            headerFields: fields,
            bodyRange: bodyStart..<end,
            vias: vias,
            topViaRange: topViaRange,
            fromTag: fromTag,
            toTag: toTag,
            callID: callID,
            cseq: cseq,
            maxForwards: maxForwards,
            contentLength: contentLength,
            routes: routes,
            replyContext: SIPReplyContext(
                bytes: bytes,
                fields: fields,
                topVia: topVia,
                topViaRange: topViaRange,
                from: fromField,
                to: toField,
                callID: callIDField,
                cseq: cseqField,
                fromTag: fromTag ?? ""
            )
        )
    }

    // MARK: Framing

    /// What ``frameHeader(_:endingAtEmptyLine:)`` found.
    enum HeaderFraming: Equatable {
        /// The start line (without its CRLF) and the header fields, in order; the header
        /// section ends at `headerEnd`, just past the CRLF of its last line.
        case framed(startLine: Range<Int>, fields: [SIPHeaderField], headerEnd: Int)
        /// No empty line ends the header section (only when asked to end at one).
        case unterminated
        /// A CR or LF outside a CRLF pair, or an unescaped NUL, on line `line` (1-based,
        /// the start line being 1).
        case invalidControlCharacter(line: Int)
        /// Header line `number` is neither a continuation nor `token ":"`; the section is
        /// otherwise free of stray control characters.
        case malformedHeaderLine(startLine: Range<Int>, number: Int)
    }

    /// Splits the header section into the start line and header fields, in one pass.
    ///
    /// A CR or LF outside a CRLF pair, or a NUL that is not escaped by a backslash, is
    /// refused wherever it is (and is reported before a malformed line above it). A line
    /// starting with whitespace continues the field above it (RFC 3261 §7.3.1 folding);
    /// any other header line must be a token, optional whitespace and a colon.
    ///
    /// With `endingAtEmptyLine`, `range` runs to the end of the input and the section
    /// ends at the first empty line, or is ``HeaderFraming/unterminated``; errors are then
    /// only those before that line (the caller frames again without it to report them).
    /// Without, `range` is the whole header section, found beforehand.
    func frameHeader(_ range: Range<Int>, endingAtEmptyLine: Bool) -> HeaderFraming {
        input.withUnsafeBufferPointer { bytes in
            // The input is never empty here (parse() checks), so it has a base address.
            guard let raw = UnsafeRawPointer(bytes.baseAddress) else { return .unterminated }
            var fields: [SIPHeaderField] = []
            fields.reserveCapacity(24)
            var startLine: Range<Int>?
            var lineCount = 0
            var malformedLine: Int?
            // The field being read: its name, where its value starts, its last line.
            var current: (nameRange: Range<Int>, valueStart: Int, lastLine: Range<Int>)?

            func finish(_ field: (nameRange: Range<Int>, valueStart: Int, lastLine: Range<Int>)) {
                let value = input.trimmingWhitespace(field.valueStart..<field.lastLine.upperBound)
                fields.append(
                    SIPHeaderField(
                        name: SIPHeaderName(bytes[field.nameRange]),
                        nameRange: field.nameRange,
                        valueRange: value.isEmpty ? field.lastLine.upperBound..<field.lastLine.upperBound : value,
                        // The field runs through the CRLF of its last line.
                        fieldRange: field.nameRange.lowerBound..<(field.lastLine.upperBound + 2)
                    )
                )
            }

            func take(_ line: Range<Int>) {
                lineCount += 1
                guard lineCount > 1 else {
                    startLine = line
                    return
                }
                guard malformedLine == nil else { return }
                if line.lowerBound < line.upperBound, bytes[line.lowerBound].isWhitespace {
                    guard current != nil else {
                        malformedLine = lineCount
                        return
                    }
                    current?.lastLine = line
                    return
                }
                if let field = current { finish(field) }
                current = nil
                guard let colon = bytes[line].firstIndex(of: .colon) else {
                    malformedLine = lineCount
                    return
                }
                var nameEnd = colon
                while nameEnd > line.lowerBound, bytes[nameEnd - 1].isWhitespace { nameEnd -= 1 }
                guard bytes[line.lowerBound..<nameEnd].isToken else {
                    malformedLine = lineCount
                    return
                }
                current = (line.lowerBound..<nameEnd, colon + 1, line)
            }

            // Only CR, LF and NUL need a closer look; 16 bytes at a time are skipped while
            // none of them is a control character up to CR (HTAB, rare, is looked at too).
            var lineStart = range.lowerBound
            var index = range.lowerBound
            while index < range.upperBound {
                if index + 16 <= range.upperBound, raw.sixteenBytesAboveCR(at: index) {
                    index += 16
                    continue
                }
                let byte = bytes[index]
                guard byte <= .cr else {
                    index += 1
                    continue
                }
                switch byte {
                case .cr:
                    guard index + 1 < range.upperBound, bytes[index + 1] == .lf else {
                        return .invalidControlCharacter(line: lineCount + 1)
                    }
                    if endingAtEmptyLine, index == lineStart, lineCount > 0 {
                        // The empty line: the header section ends before it.
                        if let malformedLine { return .malformedHeaderLine(startLine: startLine ?? range.lowerBound..<range.lowerBound, number: malformedLine) }
                        if let field = current { finish(field) }
                        return .framed(startLine: startLine ?? range.lowerBound..<range.lowerBound, fields: fields, headerEnd: index)
                    }
                    take(lineStart..<index)
                    index += 2
                    lineStart = index
                    continue
                case .lf:
                    return .invalidControlCharacter(line: lineCount + 1)
                case 0:
                    guard index > lineStart, bytes[index - 1] == .backslash else {
                        return .invalidControlCharacter(line: lineCount + 1)
                    }
                default:
                    break
                }
                index += 1
            }
            if endingAtEmptyLine { return .unterminated }
            if lineStart < range.upperBound { take(lineStart..<range.upperBound) }
            // The range is never empty, so there is a start line.
            let firstLine = startLine ?? range.lowerBound..<range.lowerBound
            if let malformedLine { return .malformedHeaderLine(startLine: firstLine, number: malformedLine) }
            if let field = current { finish(field) }
            return .framed(startLine: firstLine, fields: fields, headerEnd: range.upperBound)
        }
    }

    // MARK: Start line

    func parseStartLine(_ line: Range<Int>) throws(SIPMalformedMessage) -> SIPMessage.StartLine {
        let bytes = input[line]
        if bytes.prefix(4).equalsCaseInsensitive("SIP/") {
            return try parseStatusLine(line)
        }
        guard let firstSpace = bytes.firstIndex(of: .space),
            let secondSpace = input[(firstSpace + 1)..<line.upperBound].firstIndex(of: .space)
        else {
            throw fail(.malformedStartLine("expected Method SP Request-URI SP SIP-Version"))
        }
        let methodRange = line.lowerBound..<firstSpace
        let uriRange = (firstSpace + 1)..<secondSpace
        let versionRange = (secondSpace + 1)..<line.upperBound
        guard input[methodRange].isToken else { throw fail(.malformedStartLine("method is not a token")) }
        guard !uriRange.isEmpty, !input[uriRange].contains(where: \.isWhitespace) else {
            throw fail(.malformedStartLine("extra whitespace in the request line"))
        }
        try checkVersion(versionRange)
        let method = input[methodRange].text
        let uri = try parseRequestURI(uriRange)
        return .request(method: method, uri: uri)
    }

    func checkVersion(_ range: Range<Int>) throws(SIPMalformedMessage) {
        let version = input[range]
        if version.equalsCaseInsensitive("SIP/2.0") { return }
        // `SIP/x.y` is a version we do not speak; anything else is not a version at all.
        let digits = version.dropFirst(4)
        if version.prefix(4).equalsCaseInsensitive("SIP/"), let dot = digits.firstIndex(of: UInt8(ascii: ".")),
            digits[..<dot].isEmpty == false, digits[..<dot].allSatisfy(\.isDigit),
            digits[(dot + 1)...].isEmpty == false, digits[(dot + 1)...].allSatisfy(\.isDigit)
        {
            throw fail(.unsupportedVersion(version.text))
        }
        throw fail(.malformedStartLine("expected SIP/2.0"))
    }

    func parseStatusLine(_ line: Range<Int>) throws(SIPMalformedMessage) -> SIPMessage.StartLine {
        guard let firstSpace = input[line].firstIndex(of: .space) else {
            throw fail(.malformedStartLine("expected SIP-Version SP Status-Code SP Reason-Phrase"))
        }
        try checkVersion(line.lowerBound..<firstSpace)
        let rest = (firstSpace + 1)..<line.upperBound
        let codeEnd = input[rest].firstIndex(of: .space) ?? line.upperBound
        let code = input[(firstSpace + 1)..<codeEnd]
        guard code.count == 3, code.allSatisfy(\.isDigit),
            let value = Int(code.text), (100...699).contains(value)
        else {
            throw fail(.invalidStatusCode(String(code.text.prefix(12))))
        }
        let reason = codeEnd < line.upperBound ? input[(codeEnd + 1)..<line.upperBound].text : ""
        return .response(statusCode: value, reasonPhrase: reason)
    }

    func parseRequestURI(_ range: Range<Int>) throws(SIPMalformedMessage) -> SIPURI {
        let bytes = input[range]
        if bytes.first == .lessThan || bytes.last == .greaterThan {
            throw fail(.malformedRequestURI("enclosed in angle brackets"))
        }
        guard bytes.allSatisfy(\.mayAppearInURI) else {
            throw fail(.malformedRequestURI("a character not allowed in a URI"))
        }
        guard let colon = bytes.firstIndex(of: .colon), colon > range.lowerBound,
            input[range.lowerBound].isAlpha,
            input[range.lowerBound..<colon].allSatisfy({ $0.isAlpha || $0.isDigit || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }),
            colon + 1 < range.upperBound
        else {
            throw fail(.malformedRequestURI("no scheme"))
        }
        let text = bytes.text
        let scheme = input[range.lowerBound..<colon]
        guard scheme.equalsCaseInsensitive("sip") || scheme.equalsCaseInsensitive("sips") else {
            // Another scheme (tel:, urn:, …): kept as text; admission decides what to do.
            return SIPURI(scheme: scheme.text.lowercased(), user: nil, host: nil, port: nil, parameters: [], headers: [], text: text)
        }
        guard let uri = LibOSIP.withCString(input, range, { LibOSIP.parseURI($0, uriText: text) }) else {
            throw fail(.malformedRequestURI("unparsable SIP URI"))
        }
        guard uri.headers.isEmpty else {
            throw fail(.malformedRequestURI("headers are not allowed in a Request-URI"))
        }
        return uri
    }

    // MARK: Headers

    /// Parses a From/To/Route/Record-Route/Contact value, after checking the shapes
    /// libosip2 lets through: an unterminated or unquoted display name with separators,
    /// whitespace inside `<…>`, and a URI with `?`, `,` or `>` outside angle brackets.
    func nameAddress(_ range: Range<Int>, header: SIPHeaderName) throws(SIPMalformedMessage) -> SIPNameAddress {
        let uriText = input[try nameAddressURI(range, header: header)].text
        guard let value = LibOSIP.withCString(input, range, { LibOSIP.parseNameAddress($0, uriText: uriText) }) else {
            throw fail(.malformedHeader(header, "unparsable value"))
        }
        return value
    }

    /// Checks a From/To/Contact/Record-Route value as ``nameAddress(_:header:)`` does and
    /// returns only its `tag` parameter: what the pipeline reads of those headers.
    func nameAddressTag(_ range: Range<Int>, header: SIPHeaderName) throws(SIPMalformedMessage) -> String? {
        _ = try nameAddressURI(range, header: header)
        guard let tag = LibOSIP.withCString(input, range, LibOSIP.checkNameAddress) else {
            throw fail(.malformedHeader(header, "unparsable value"))
        }
        return tag
    }

    /// The checks of a name-addr or addr-spec value libosip2 does not make (see
    /// ``nameAddress(_:header:)``); returns where its URI is.
    func nameAddressURI(_ range: Range<Int>, header: SIPHeaderName) throws(SIPMalformedMessage) -> Range<Int> {
        guard !range.isEmpty else { throw fail(.malformedHeader(header, "empty value")) }
        var index = range.lowerBound
        var uriRange: Range<Int>
        if input[index] == .quote {
            // quoted-string display name
            guard let end = endOfQuotedString(at: index, before: range.upperBound) else {
                throw fail(.malformedHeader(header, "unterminated quoted display name"))
            }
            index = end
        }
        if let open = input[index..<range.upperBound].firstIndex(of: .lessThan) {
            // Anything between the display name and '<' must be tokens and whitespace.
            guard input[index..<open].allSatisfy({ $0.isTokenCharacter || $0.isWhitespace || $0 == .cr || $0 == .lf })
            else {
                throw fail(.malformedHeader(header, "display name must be a token or a quoted string"))
            }
            guard let close = input[(open + 1)..<range.upperBound].firstIndex(of: .greaterThan) else {
                throw fail(.malformedHeader(header, "missing '>'"))
            }
            uriRange = (open + 1)..<close
            guard !uriRange.isEmpty, !input[uriRange].contains(where: { $0.isWhitespace || $0 == .cr || $0 == .lf }) else {
                throw fail(.malformedHeader(header, "whitespace inside '<…>'"))
            }
            guard input[uriRange].allSatisfy(\.mayAppearInURI) else {
                throw fail(.malformedHeader(header, "a character not allowed in a URI"))
            }
            let after = input.trimmingWhitespace((close + 1)..<range.upperBound)
            guard after.isEmpty || input[after.lowerBound] == .semicolon else {
                throw fail(.malformedHeader(header, "unexpected text after '>'"))
            }
            guard areGenericParameters(after) else { throw fail(.malformedHeader(header, "malformed parameter")) }
        } else {
            guard index == range.lowerBound else {
                throw fail(.malformedHeader(header, "display name without '<…>'"))
            }
            let end = input[range].firstIndex(of: .semicolon) ?? range.upperBound
            uriRange = input.trimmingWhitespace(range.lowerBound..<end)
            if input[uriRange].contains(where: { $0 == UInt8(ascii: "?") || $0 == .comma || $0.isWhitespace }) {
                throw fail(.malformedHeader(header, "a URI with '?', ',' or whitespace must be enclosed in '<…>'"))
            }
            // '>' is never part of a URI (RFC 3261 §25.1); libosip2 would keep it in the
            // host or port, and a Route value like `sip:a@b>` would become a Request-URI
            // sipfence could not send (found by AdmissionDatagramFuzz).
            if input[uriRange].contains(.greaterThan) {
                throw fail(.malformedHeader(header, "'>' without '<'"))
            }
            guard input[uriRange].allSatisfy(\.mayAppearInURI) else {
                throw fail(.malformedHeader(header, "a character not allowed in a URI"))
            }
            guard areGenericParameters(input.trimmingWhitespace(end..<range.upperBound)) else {
                throw fail(.malformedHeader(header, "malformed parameter"))
            }
        }
        return uriRange
    }

    /// Whether `range` is `*( SEMI generic-param )` (RFC 3261 §25.1): each parameter a
    /// token name and, after `=`, a token, a host (an IPv6 reference, or a bare IPv6
    /// address as in `received`) or a quoted string; whitespace and folds around `;` and
    /// `=`. libosip2 lets an empty value (`q =`), quotes in a name or stray bytes through,
    /// and what sipfence writes back from such a header (a To with a tag appended, a
    /// stamped Via) would not parse. Checks Via, From, To, Contact, Route and Record-Route.
    func areGenericParameters(_ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        let end = range.upperBound
        func skipWhitespace() {
            while index < end, input[index].isWhitespace || input[index] == .cr || input[index] == .lf { index += 1 }
        }
        func isValueCharacter(_ byte: UInt8) -> Bool {
            byte.isTokenCharacter || byte == .colon || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
        }
        skipWhitespace()
        while index < end {
            guard input[index] == .semicolon else { return false }
            index += 1
            skipWhitespace()
            let nameStart = index
            while index < end, input[index].isTokenCharacter { index += 1 }
            guard index > nameStart else { return false }
            skipWhitespace()
            guard index < end, input[index] == UInt8(ascii: "=") else { continue }
            index += 1
            skipWhitespace()
            if index < end, input[index] == .quote {
                guard let after = endOfQuotedString(at: index, before: end) else { return false }
                index = after
            } else {
                let valueStart = index
                while index < end, isValueCharacter(input[index]) { index += 1 }
                guard index > valueStart else { return false }
            }
            skipWhitespace()
        }
        return true
    }

    /// The index just past the closing quote of the quoted-string that opens at `start`
    /// (a backslash escapes the next byte), or `nil` when it is not closed before `end`.
    func endOfQuotedString(at start: Int, before end: Int) -> Int? {
        var index = start + 1
        while index < end {
            if input[index] == .backslash {
                index += 2
            } else if input[index] == .quote {
                return index + 1
            } else {
                index += 1
            }
        }
        return nil
    }

    func nameAddresses(_ range: Range<Int>, header: SIPHeaderName) throws(SIPMalformedMessage) -> [SIPNameAddress] {
        var values: [SIPNameAddress] = []
        try input.forEachHeaderValue(range) { (part) throws(SIPMalformedMessage) in
            values.append(try nameAddress(part, header: header))
        }
        return values
    }

    /// Checks each value of a Contact or Record-Route field, keeping nothing.
    func checkNameAddresses(_ range: Range<Int>, header: SIPHeaderName) throws(SIPMalformedMessage) {
        try input.forEachHeaderValue(range) { (part) throws(SIPMalformedMessage) in
            _ = try nameAddressTag(part, header: header)
        }
    }

    func parseCallID(_ range: Range<Int>) throws(SIPMalformedMessage) -> String {
        guard !range.isEmpty, !input[range].contains(where: { $0 <= .space || $0 == 0x7F }) else {
            throw fail(.malformedHeader(.callID, "must be one word"))
        }
        return input[range].text
    }

    func parseCSeq(_ range: Range<Int>) throws(SIPMalformedMessage) -> SIPCSeq {
        guard let parsed = LibOSIP.withCString(input, range, LibOSIP.parseCSeq) else {
            throw fail(.malformedHeader(.cseq, "unparsable value"))
        }
        let (numberText, method) = parsed
        guard !numberText.isEmpty, numberText.count <= 10, numberText.utf8.allSatisfy(\.isDigit),
            let number = UInt32(numberText), number < 1 << 31
        else {
            throw fail(.malformedHeader(.cseq, "sequence number must be below 2^31"))
        }
        guard method.utf8.isToken else { throw fail(.malformedHeader(.cseq, "method is not a token")) }
        return SIPCSeq(number: number, method: method)
    }

    func parseMaxForwards(_ range: Range<Int>) throws(SIPMalformedMessage) -> Int {
        guard let value = smallNumber(range), value <= 255 else {
            throw fail(.malformedHeader(.maxForwards, "must be a number from 0 to 255"))
        }
        return value
    }

    func parseContentLength(_ range: Range<Int>) throws(SIPMalformedMessage) -> Int {
        guard let value = smallNumber(range) else {
            throw fail(.malformedHeader(.contentLength, "must be a non-negative number"))
        }
        return value
    }

    /// A non-negative decimal of at most 9 digits.
    func smallNumber(_ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 9, input[range].allSatisfy(\.isDigit) else { return nil }
        return input[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// `wkday "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"` (RFC 3261 §20.17).
    func isRFC1123Date(_ range: Range<Int>) -> Bool {
        let text = input[range].text
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        let days = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, days.contains(String(parts[0])), parts[1].count == 2,
            parts[1].utf8.allSatisfy(\.isDigit), months.contains(String(parts[2])), parts[3].count == 4,
            parts[3].utf8.allSatisfy(\.isDigit), parts[5] == "GMT"
        else { return false }
        let time = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        return time.count == 3 && time.allSatisfy { $0.count == 2 && $0.utf8.allSatisfy(\.isDigit) }
    }
}
