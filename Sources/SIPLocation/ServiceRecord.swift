/// One SRV record (RFC 2782): a target host and port, with the priority and weight that
/// place it among the other records of its name.
struct ServiceRecord: Hashable, Sendable {
    /// Lower values are tried first.
    var priority: Int
    /// Among records of equal priority, the relative share of selections (0 = only when
    /// nothing else is left, RFC 2782).
    var weight: Int
    /// The port the service listens on.
    var port: Int
    /// The target host, normalised; `.` means the service is not offered (RFC 2782).
    var target: String

    /// Whether this record says that the service is decidedly not available (target `.`).
    var deniesService: Bool { target.isEmpty || target == "." }

    /// `records` in the order RFC 2782 says to try them: ascending priority, and within a
    /// priority a weighted random selection, so that load spreads as the weights say.
    ///
    /// The random numbers come from `generator`, so tests can fix them. Records of equal
    /// priority are first put in (weight 0 first, then target, port) order — the "any
    /// order" RFC 2782 allows — so the outcome depends on the numbers alone.
    static func ordered(_ records: [ServiceRecord], using generator: inout some RandomNumberGenerator) -> [ServiceRecord] {
        var result: [ServiceRecord] = []
        result.reserveCapacity(records.count)
        let priorities = Set(records.map(\.priority)).sorted()
        for priority in priorities {
            var remaining = records.filter { $0.priority == priority }.sorted {
                ($0.weight == 0 ? 0 : 1, $0.target, $0.port) < ($1.weight == 0 ? 0 : 1, $1.target, $1.port)
            }
            while !remaining.isEmpty {
                // A number in 0...total. Weights are 16-bit, so the modulo's bias is below 2^-40.
                let total = remaining.reduce(0) { $0 + $1.weight }
                let chosen = Int(generator.next() % UInt64(total + 1))
                var runningSum = 0
                var index = remaining.count - 1
                for (candidate, record) in remaining.enumerated() {
                    runningSum += record.weight
                    if runningSum >= chosen {
                        index = candidate
                        break
                    }
                }
                result.append(remaining.remove(at: index))
            }
        }
        return result
    }
}
