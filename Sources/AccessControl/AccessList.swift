/// An IP access control list: a named set of prefixes that may call the domains it is
/// mapped to (Twilio's `IpAccessControlList` with its `IpAddresses`).
public struct AccessList: Hashable, Sendable, Identifiable {
    /// The list's identifier (an `AL…` SID in the store).
    public var id: String
    /// The operator's name for the list.
    public var name: String
    /// The addresses and networks on the list.
    public var prefixes: [IPPrefix]

    /// A list with the given identifier, name and prefixes.
    public init(id: String, name: String, prefixes: [IPPrefix]) {
        self.id = id
        self.name = name
        self.prefixes = prefixes
    }
}
