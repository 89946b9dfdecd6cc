/// What one committed change, or a run of them, did to an IP access control list's
/// prefixes: the net additions and removals, as the store's change journal records them.
///
/// ``Policy/init(generation:lists:mappings:credentialLists:authentication:updating:listChanges:)``
/// applies these to the previous policy's compiled tries instead of compiling the lists
/// again, so that one address added to a list of a million reaches the SIP path in
/// milliseconds.
public struct AccessListChange: Hashable, Sendable {
    /// Prefixes now on the list that were not before.
    public var added: [IPPrefix]
    /// Prefixes that were on the list and are not any more.
    public var removed: [IPPrefix]

    /// A change adding `added` and removing `removed`.
    public init(added: [IPPrefix] = [], removed: [IPPrefix] = []) {
        self.added = added
        self.removed = removed
    }

    /// Whether the change leaves the list as it was.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty }
}
