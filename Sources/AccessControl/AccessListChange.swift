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
    /// Whether the list was deleted and made again under the same identifier: none of its
    /// previous prefixes is left, `added` is all it holds and `removed` is empty.
    public var replacesList: Bool

    /// A change adding `added` and removing `removed` (or, with `replacesList`, a list
    /// that now holds `added` only).
    public init(added: [IPPrefix] = [], removed: [IPPrefix] = [], replacesList: Bool = false) {
        self.added = added
        self.removed = replacesList ? [] : removed
        self.replacesList = replacesList
    }

    /// Whether the change leaves the list as it was.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && !replacesList }
}
