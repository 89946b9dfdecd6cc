/// Answers to recent DNS questions, each kept until its TTL runs out.
///
/// The cache holds at most `capacity` answers — one per question (name and record type),
/// so one lookup of a host through SRV uses several. Storing an answer when the cache is
/// full first drops every expired answer; if none had expired, it drops the answer that
/// would expire soonest, the one whose loss costs the fewest extra queries. Memory stays
/// bounded however many distinct names requests carry.
///
/// A value type: ``CAresServerLocator`` keeps it behind a mutex.
struct DNSCache: Sendable {
    private struct Entry: Sendable {
        var answer: DNSAnswer
        var expiry: ContinuousClock.Instant
    }

    /// The most answers the cache holds; 0 turns caching off.
    let capacity: Int
    private var entries: [DNSQuestion: Entry] = [:]

    /// An empty cache for at most `capacity` answers.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
        entries.reserveCapacity(min(self.capacity, 1024))
    }

    /// The number of answers held, expired ones included until they are dropped.
    var count: Int { entries.count }

    /// The cached answer to `question`, unless it has expired by `now` (then it is dropped).
    mutating func answer(to question: DNSQuestion, at now: ContinuousClock.Instant) -> DNSAnswer? {
        guard let entry = entries[question] else { return nil }
        guard now < entry.expiry else {
            entries[question] = nil
            return nil
        }
        return entry.answer
    }

    /// Keeps `answer` to `question` for `lifetime` from `now`; a lifetime of zero or less
    /// (a TTL of 0 means "do not cache", RFC 1035 §3.2.1) stores nothing.
    mutating func store(_ answer: DNSAnswer, to question: DNSQuestion, for lifetime: Duration, at now: ContinuousClock.Instant) {
        guard capacity > 0, lifetime > .zero else { return }
        if entries[question] == nil && entries.count >= capacity {
            entries = entries.filter { now < $0.value.expiry }
            if entries.count >= capacity, let soonest = entries.min(by: { $0.value.expiry < $1.value.expiry }) {
                entries[soonest.key] = nil
            }
        }
        entries[question] = Entry(answer: answer, expiry: now + lifetime)
    }
}
