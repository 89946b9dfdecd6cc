import AccessControl
import CCAres

extension DNSResponse {
    /// The response c-ares reported for `question`: its status code and, when a reply came,
    /// the reply's bytes (valid only during the c-ares callback, so everything is copied out).
    ///
    /// NXDOMAIN and NODATA are answers, not errors: RFC 3263 §4 moves on to the next step
    /// (from SRV to A/AAAA) on either, and both may be cached (RFC 2308).
    static func from(
        status: Int32, reply: UnsafeBufferPointer<UInt8>?, question: DNSQuestion, timeout: Duration
    ) -> Result<DNSResponse, SIPLocationError> {
        let ttls = reply.map { DNSReplyTTLs(reply: UnsafeRawBufferPointer($0)) } ?? DNSReplyTTLs()
        switch status {
        case ARES_SUCCESS:
            guard let reply, !reply.isEmpty else {
                return .failure(.serverFailure(name: question.name, reason: "an empty reply to \(question)"))
            }
            return parse(reply, question: question, ttls: ttls)
        case ARES_ENOTFOUND:
            return .success(DNSResponse(answer: .nameNotFound, timeToLive: ttls.negativeTTL))
        case ARES_ENODATA:
            return .success(DNSResponse(answer: .noRecords, timeToLive: ttls.negativeTTL))
        case ARES_ETIMEOUT:
            return .failure(.timeout(name: question.name, after: timeout))
        case ARES_EBADNAME:
            return .failure(.invalidHost(question.name))
        case ARES_EDESTRUCTION, ARES_ECANCELLED:
            return .failure(.resolverUnavailable(reason: "the resolver was shut down"))
        case ARES_ECONNREFUSED:
            // c-ares's own text ("Could not contact DNS servers") also stands for servers
            // that answered REFUSED or SERVFAIL on every try: it moves on to the next server
            // on those, and reports this when none is left.
            return .failure(
                .serverFailure(
                    name: question.name,
                    reason: "no DNS server gave a usable answer: each refused, failed or was unreachable (\(question))"))
        default:
            return .failure(.serverFailure(name: question.name, reason: reason(status) + " (\(question))"))
        }
    }

    /// c-ares's text for a status code.
    static func reason(_ status: Int32) -> String {
        guard let text = ares_strerror(status) else { return "c-ares status \(status)" }
        return String(cString: text)
    }

    private static func parse(
        _ reply: UnsafeBufferPointer<UInt8>, question: DNSQuestion, ttls: DNSReplyTTLs
    ) -> Result<DNSResponse, SIPLocationError> {
        guard let base = reply.baseAddress, let length = Int32(exactly: reply.count) else {
            return .failure(.serverFailure(name: question.name, reason: "an unreadable reply to \(question)"))
        }
        let parsed: Result<DNSResponse, CAresStatus> =
            switch question.type {
            case .srv: serviceRecords(base, length)
            case .a: ipv4Addresses(base, length)
            case .aaaa: ipv6Addresses(base, length)
            }
        switch parsed {
        case .success(var response):
            if case .serviceRecords = response.answer { response.timeToLive = ttls.answerTTL }
            return .success(response)
        case .failure(let status) where status.code == ARES_ENODATA:
            // An answer section without records of the type asked for (a CNAME alone, say).
            return .success(DNSResponse(answer: .noRecords, timeToLive: ttls.negativeTTL))
        case .failure(let status):
            return .failure(.serverFailure(name: question.name, reason: reason(status.code) + " (\(question))"))
        }
    }

    /// SRV records through `ares_parse_srv_reply`; their TTL comes from ``DNSReplyTTLs``.
    private static func serviceRecords(_ reply: UnsafePointer<UInt8>, _ length: Int32) -> Result<DNSResponse, CAresStatus> {
        var list: UnsafeMutablePointer<ares_srv_reply>?
        let status = ares_parse_srv_reply(reply, length, &list)
        defer { if let list { ares_free_data(list) } }
        guard status == ARES_SUCCESS else { return .failure(CAresStatus(code: status)) }
        var records: [ServiceRecord] = []
        var next = list
        while let node = next {
            let target = node.pointee.host.map { String(cString: $0) } ?? ""
            records.append(
                ServiceRecord(
                    priority: Int(node.pointee.priority), weight: Int(node.pointee.weight), port: Int(node.pointee.port),
                    target: target == "." ? "" : DomainName(normalizing: target).normalized))
            next = node.pointee.next
        }
        guard !records.isEmpty else { return .failure(CAresStatus(code: ARES_ENODATA)) }
        return .success(DNSResponse(answer: .serviceRecords(records), timeToLive: nil))
    }

    /// IPv4 addresses with their TTLs through `ares_parse_a_reply`.
    private static func ipv4Addresses(_ reply: UnsafePointer<UInt8>, _ length: Int32) -> Result<DNSResponse, CAresStatus> {
        // An A record takes at least 16 bytes of the reply, so this many slots hold them all.
        var slots = [ares_addrttl](repeating: ares_addrttl(), count: max(1, Int(length) / 16))
        var count = Int32(slots.count)
        let status = ares_parse_a_reply(reply, length, nil, &slots, &count)
        guard status == ARES_SUCCESS else { return .failure(CAresStatus(code: status)) }
        let used = slots.prefix(Int(max(0, min(count, Int32(slots.count)))))
        guard !used.isEmpty else { return .failure(CAresStatus(code: ARES_ENODATA)) }
        let addresses = used.map { IPAddress(ipv4: UInt32(bigEndian: $0.ipaddr.s_addr)) }
        let ttl = used.map { max(0, Int($0.ttl)) }.min()
        return .success(DNSResponse(answer: .addresses(addresses), timeToLive: ttl))
    }

    /// IPv6 addresses with their TTLs through `ares_parse_aaaa_reply`.
    private static func ipv6Addresses(_ reply: UnsafePointer<UInt8>, _ length: Int32) -> Result<DNSResponse, CAresStatus> {
        // An AAAA record takes at least 28 bytes of the reply.
        var slots = [ares_addr6ttl](repeating: ares_addr6ttl(), count: max(1, Int(length) / 28))
        var count = Int32(slots.count)
        let status = ares_parse_aaaa_reply(reply, length, nil, &slots, &count)
        guard status == ARES_SUCCESS else { return .failure(CAresStatus(code: status)) }
        let used = slots.prefix(Int(max(0, min(count, Int32(slots.count)))))
        guard !used.isEmpty else { return .failure(CAresStatus(code: ARES_ENODATA)) }
        let addresses = used.compactMap { slot in
            withUnsafeBytes(of: slot.ip6addr._S6_un._S6_u8) { IPAddress(networkBytes: $0) }
        }
        let ttl = used.map { max(0, Int($0.ttl)) }.min()
        return .success(DNSResponse(answer: .addresses(addresses), timeToLive: ttl))
    }
}

/// A c-ares status code other than success, carried as an error inside this file.
private struct CAresStatus: Error {
    let code: Int32
}
