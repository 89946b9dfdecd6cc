/// What the policy says about a source calling a domain: admit it, with the list and
/// prefix that let it in, or reject it, with the reason.
///
/// Kept as a value with a reason so that further admission rules can compose with it and
/// so that logs, metrics and `sipfence replay` can say why.
public enum AccessDecision: Hashable, Sendable {
    /// The source lies in a list mapped to the domain.
    case admit(AccessMatch)
    /// The source may not call the domain.
    case reject(AccessRejection)

    /// Whether the decision admits the source.
    public var isAdmitted: Bool {
        if case .admit = self { return true }
        return false
    }
}

/// The list and prefix that admitted a source.
public struct AccessMatch: Hashable, Sendable {
    /// The identifier of the access list that contains the source.
    public let listID: String
    /// That list's name.
    public let listName: String
    /// The most specific prefix of that list covering the source.
    public let prefix: IPPrefix

    /// A match of `prefix` in the list `listID` named `listName`.
    public init(listID: String, listName: String, prefix: IPPrefix) {
        self.listID = listID
        self.listName = listName
        self.prefix = prefix
    }
}

/// Why a source was not admitted.
public enum AccessRejection: String, Hashable, Sendable, CustomStringConvertible {
    /// No domain of that name is configured.
    case unknownDomain = "unknown_domain"
    /// The domain exists but no access list is mapped to it, so it admits nothing.
    case noListMapped = "no_list_mapped"
    /// The source lies outside every list mapped to the domain.
    case sourceNotInAnyList = "source_not_in_any_list"

    public var description: String { rawValue }
}
