import Hummingbird
import PolicyStore

/// A page request (`PageSize`, `Page`, `PageToken`) and the page it produces.
///
/// Paging is token-based: `next_page_uri` carries `PageToken=PA<SID of the last record>`
/// and the next page starts after that SID in SID order, so records added or deleted
/// between two requests (even the token's own record) neither repeat nor skip records
/// that were there all along. `Page` without a token is honoured as an offset (how
/// `previous_page_uri` and hand-written requests address pages), which, like Twilio's, is
/// exact only while the list does not change.
struct TwilioPageRequest: Sendable {
    static let defaultSize = 50
    static let maximumSize = 1000

    /// Records per page: 1…1000. A larger `PageSize` is served as 1000, as Twilio does:
    /// its helper libraries send `PageSize=N` for `list(limit=N)` whatever N is, then
    /// follow `next_page_uri`, which names the size actually served.
    var size: Int
    /// The page number the client says it is on.
    var number: Int
    /// The SID the page starts after (from `PageToken`).
    var after: SID?

    /// Reads the paging parameters of `request`'s query; page tokens name SIDs of `kind`.
    init(_ request: Request, tokenKind: SID.Kind) throws(TwilioError) {
        let query = request.uri.queryParameters
        size = Self.defaultSize
        if let text = query["PageSize"] {
            let digits = !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            // All digits but too large for an Int is still "more than 1000".
            let value = digits ? Int(text) ?? .max : 0
            guard value >= 1 else {
                throw .invalidParameter("PageSize", "it must be a whole number from 1 (larger than \(Self.maximumSize) is served as \(Self.maximumSize))")
            }
            size = min(value, Self.maximumSize)
        }
        number = 0
        if let text = query["Page"] {
            guard let value = Int(text), value >= 0 else {
                throw .invalidParameter("Page", "it must be a whole number from 0")
            }
            number = value
        }
        after = nil
        if let text = query["PageToken"] {
            guard text.hasPrefix("PA"), let sid = SID(text.dropFirst(2), kind: tokenKind) else {
                throw .invalidPageToken(String(text))
            }
            after = sid
        }
    }

    /// Records to skip from the start when no token is given.
    var offset: Int { after == nil ? number * size : 0 }

    /// Records to fetch: one more than a page, to learn whether another page follows.
    var fetchLimit: Int { size + 1 }

    /// The page envelope for `records` (as fetched with ``fetchLimit``) of the list at
    /// `path`, the records rendered by `render` under `key`.
    func page<Record, Item: Encodable & Sendable>(
        of records: [Record], key: String, path: String, sid: (Record) -> SID, render: (Record) -> Item
    ) -> TwilioPage<Item> {
        let shown = Array(records.prefix(size))
        let start = number * size
        var uri = "\(path)?PageSize=\(size)&Page=\(number)"
        if let after { uri += "&PageToken=PA\(after)" }
        let next =
            records.count > size
            ? shown.last.map { "\(path)?PageSize=\(size)&Page=\(number + 1)&PageToken=PA\(sid($0))" } : nil
        return TwilioPage(
            key: key,
            items: shown.map(render),
            uri: uri,
            firstPageURI: "\(path)?PageSize=\(size)&Page=0",
            nextPageURI: next,
            previousPageURI: number > 0 ? "\(path)?PageSize=\(size)&Page=\(number - 1)" : nil,
            page: number,
            pageSize: size,
            start: start,
            end: shown.isEmpty ? start : start + shown.count - 1)
    }
}

/// One page of a list, in Twilio's envelope: the records under the resource's key, plus
/// `uri`, `first_page_uri`, `next_page_uri`, `previous_page_uri`, `page`, `page_size`,
/// `start` and `end` (all present; the page URIs `null` where there is no such page).
struct TwilioPage<Item: Encodable & Sendable>: Encodable, Sendable {
    let key: String
    let items: [Item]
    let uri: String
    let firstPageURI: String
    let nextPageURI: String?
    let previousPageURI: String?
    let page: Int
    let pageSize: Int
    let start: Int
    let end: Int

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ stringValue: String) { self.stringValue = stringValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(key))
        try container.encode(uri, forKey: Key("uri"))
        try container.encode(firstPageURI, forKey: Key("first_page_uri"))
        try container.encode(nextPageURI, forKey: Key("next_page_uri"))
        try container.encode(previousPageURI, forKey: Key("previous_page_uri"))
        try container.encode(page, forKey: Key("page"))
        try container.encode(pageSize, forKey: Key("page_size"))
        try container.encode(start, forKey: Key("start"))
        try container.encode(end, forKey: Key("end"))
    }
}
