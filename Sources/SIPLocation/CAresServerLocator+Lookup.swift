import AccessControl
import SIPCore

extension CAresServerLocator {
    /// A DNS answer, or why there is none.
    typealias AnswerOutcome = Result<DNSAnswer, SIPLocationError>

    /// SRV, then A/AAAA of the SRV targets; without SRV records, A/AAAA of `name` at the
    /// default port (RFC 3263 §4.1, §4.2).
    func serviceTargets(of name: String, transport: SIPTransport?, secure: Bool) async throws(SIPLocationError)
        -> [SIPServerTarget]
    {
        let transports: [SIPTransport] = transport.map { [$0] } ?? (secure ? [.tls] : [.udp, .tcp])
        let services = transports.compactMap { transport in
            Self.serviceName(for: transport).map { (transport: transport, question: DNSQuestion("\($0).\(name)", .srv)) }
        }
        let serviceAnswers = await answers(to: services.map(\.question))

        // Each transport's records in RFC 2782 order, UDP's before TCP's.
        var plan: [(transport: SIPTransport, record: ServiceRecord)] = []
        var serviceFailure: SIPLocationError?
        var foundServiceRecords = false
        for service in services {
            switch serviceAnswers[service.question] {
            case .success(.serviceRecords(let records)):
                foundServiceRecords = true
                let offered = records.filter { !$0.deniesService }
                let ordered = randomNumbers.withLock { ServiceRecord.ordered(offered, using: &$0) }
                plan += ordered.map { (service.transport, $0) }
            case .failure(let error):
                serviceFailure = serviceFailure ?? error
            case .success, nil:
                break
            }
        }

        guard !plan.isEmpty else {
            // A failed SRV query is not "no SRV records": falling back to A/AAAA then could
            // pick a transport or port the domain does not use. SRV records whose targets
            // are all "." say the service is not offered (RFC 2782).
            if let serviceFailure { throw serviceFailure }
            if foundServiceRecords { throw .serviceNotAvailable(name) }
            let chosen = transport ?? (secure ? .tls : .udp)
            return try await addressTargets(of: name, transport: chosen, port: chosen.defaultPort)
        }

        let hosts = Array(Set(plan.map(\.record.target)))
        let addressAnswers = await answers(to: hosts.flatMap { [DNSQuestion($0, .a), DNSQuestion($0, .aaaa)] })
        var targets: [SIPServerTarget] = []
        var seen: Set<SIPServerTarget> = []
        var addressFailure: SIPLocationError?
        for step in plan {
            switch addresses(of: step.record.target, from: addressAnswers) {
            case .success(let addresses):
                for address in addresses {
                    let target = SIPServerTarget(transport: step.transport, address: address, port: step.record.port)
                    if seen.insert(target).inserted { targets.append(target) }
                }
            case .failure(let error):
                addressFailure = addressFailure ?? error
            }
        }
        guard !targets.isEmpty else { throw addressFailure ?? .noAddresses(name) }
        return targets
    }

    /// A and AAAA of `name`, each address at `port` over `transport` (RFC 3263 §4.2).
    func addressTargets(of name: String, transport: SIPTransport, port: Int) async throws(SIPLocationError)
        -> [SIPServerTarget]
    {
        let found = await answers(to: [DNSQuestion(name, .a), DNSQuestion(name, .aaaa)])
        return try addresses(of: name, from: found).get().map {
            SIPServerTarget(transport: transport, address: $0, port: port)
        }
    }

    /// The SRV service label pair for a transport (RFC 3263 §4.1, RFC 4168 for SCTP);
    /// `nil` for WebSocket, which has none (RFC 7118).
    static func serviceName(for transport: SIPTransport) -> String? {
        switch transport {
        case .udp: "_sip._udp"
        case .tcp: "_sip._tcp"
        case .tls: "_sips._tcp"
        case .sctp: "_sip._sctp"
        case .ws, .wss: nil
        }
    }

    /// `name`'s addresses from its A and AAAA answers, ``preferredFamily`` first.
    ///
    /// Addresses from either answer are enough; otherwise NXDOMAIN wins (it holds for every
    /// record type), then an error, then "no addresses".
    private func addresses(of name: String, from answers: [DNSQuestion: AnswerOutcome]) -> Result<[IPAddress], SIPLocationError> {
        let outcomes = [answers[DNSQuestion(name, .a)], answers[DNSQuestion(name, .aaaa)]].compactMap { $0 }
        var addresses: [IPAddress] = []
        var nameNotFound = false
        var failure: SIPLocationError?
        for outcome in outcomes {
            switch outcome {
            case .success(.addresses(let found)): addresses += found
            case .success(.nameNotFound): nameNotFound = true
            case .success: break
            case .failure(let error): failure = failure ?? error
            }
        }
        guard addresses.isEmpty else {
            let preferred = preferredFamily
            return .success(addresses.filter { $0.family == preferred } + addresses.filter { $0.family != preferred })
        }
        if nameNotFound { return .failure(.nameNotFound(name)) }
        return .failure(failure ?? .noAddresses(name))
    }

    /// The answers to `questions`, from the cache or asked all at once; answers from DNS
    /// are stored in the cache for their TTL.
    private func answers(to questions: [DNSQuestion]) async -> [DNSQuestion: AnswerOutcome] {
        var results: [DNSQuestion: AnswerOutcome] = [:]
        let now = ContinuousClock.now
        let missing = cache.withLock { cache in
            Set(questions).filter { question in
                guard let answer = cache.answer(to: question, at: now) else { return true }
                results[question] = .success(answer)
                return false
            }
        }
        guard !missing.isEmpty else { return results }
        let asked = await withTaskGroup(of: (DNSQuestion, DNSQuery.Outcome).self) { group in
            for question in missing {
                group.addTask { (question, await self.resolver.ask(question)) }
            }
            var asked: [(DNSQuestion, DNSQuery.Outcome)] = []
            for await answer in group { asked.append(answer) }
            return asked
        }
        let answeredAt = ContinuousClock.now
        cache.withLock { cache in
            for case (let question, .success(let response)) in asked {
                cache.store(response.answer, to: question, for: lifetime(of: response), at: answeredAt)
            }
        }
        for (question, outcome) in asked {
            results[question] = outcome.map(\.answer)
        }
        return results
    }

    /// How long a response may be cached: its TTL, and for a negative answer at most
    /// ``negativeCachingLimit`` (which also stands in for a missing SOA).
    private func lifetime(of response: DNSResponse) -> Duration {
        guard response.answer.isNegative else { return .seconds(response.timeToLive ?? 0) }
        guard let ttl = response.timeToLive else { return negativeCachingLimit }
        return min(.seconds(ttl), negativeCachingLimit)
    }
}
