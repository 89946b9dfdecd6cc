import TestSupport
import Testing

@testable import SIPLocation

/// RFC 2782's ordering of SRV records: by priority, then weighted random selection.
@Suite("ServiceRecord ordering")
struct ServiceRecordOrderTests {
    /// A generator that always yields the same number.
    struct Constant: RandomNumberGenerator {
        var value: UInt64
        mutating func next() -> UInt64 { value }
    }

    private static func record(_ target: String, priority: Int, weight: Int) -> ServiceRecord {
        ServiceRecord(priority: priority, weight: weight, port: 5060, target: target)
    }

    @Test("Lower priorities come first, whatever the weights", arguments: [UInt64.min, UInt64.max / 2, UInt64.max])
    func priorities(_ number: UInt64) {
        let records = [
            Self.record("c", priority: 30, weight: 100), Self.record("a", priority: 10, weight: 0),
            Self.record("b", priority: 20, weight: 5),
        ]
        var generator = Constant(value: number)
        #expect(ServiceRecord.ordered(records, using: &generator).map(\.target) == ["a", "b", "c"])
    }

    @Test("The random number picks along the running sum of weights, weight 0 first")
    func runningSum() {
        let records = [Self.record("heavy", priority: 1, weight: 60), Self.record("zero", priority: 1, weight: 0),
                       Self.record("light", priority: 1, weight: 40)]
        // Records of one priority are lined up weight 0 first, then by target:
        // "zero" (running sum 0), "heavy" (60), "light" (100).
        // 0 selects the first record whose running sum reaches 0: the weight-0 one.
        var low = Constant(value: 0)
        #expect(ServiceRecord.ordered(records, using: &low).map(\.target) == ["zero", "heavy", "light"])
        // 100 (the total) selects the last record in (weight 0 first, then target) order:
        // "light" (running sum 100), then "heavy" (60 of 60), then "zero".
        var high = Constant(value: 100)
        #expect(ServiceRecord.ordered(records, using: &high).map(\.target) == ["light", "heavy", "zero"])
        // 50 falls in "heavy"'s share (1…60), then 50 % 41 = 9 in "light"'s (1…40).
        var middle = Constant(value: 50)
        #expect(ServiceRecord.ordered(records, using: &middle).map(\.target) == ["heavy", "light", "zero"])
    }

    @Test("Weights share out first choices in proportion")
    func proportions() {
        let records = [Self.record("ninety", priority: 1, weight: 90), Self.record("ten", priority: 1, weight: 10)]
        var generator = SplitMix64(seed: 2782)
        let firsts = (0..<2000).filter { _ in ServiceRecord.ordered(records, using: &generator).first?.target == "ninety" }.count
        #expect((1700...1900).contains(firsts), "\(firsts) of 2000")
    }
}
