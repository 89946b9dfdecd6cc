/// The CSeq header: a sequence number and the method of the request it belongs to.
public struct SIPCSeq: Hashable, Sendable {
    /// The sequence number (below 2³¹, RFC 3261 §8.1.1.5).
    public var number: UInt32
    /// The method, as written (methods are case-sensitive).
    public var method: String
}

extension SIPCSeq: CustomStringConvertible {
    public var description: String { "\(number) \(method)" }
}
