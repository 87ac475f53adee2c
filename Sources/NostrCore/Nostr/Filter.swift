/// A NIP-01 subscription filter: `{"ids":…,"authors":…,"kinds":…,"#<letter>":…,"since":…,"until":…,"limit":…}`.
/// Within a filter every given condition must hold; a REQ matches an event
/// if any of its filters does.
public struct Filter: JSONCodable, Equatable, Sendable {
    public var ids: [Bytes32]?
    public var authors: [Bytes32]?
    public var kinds: [Int]?
    /// Single-letter tag queries (`#d`, `#e`, …): letter and accepted values.
    public var tagQueries: [TagQuery]
    public var since: Int64?
    public var until: Int64?
    public var limit: Int?

    public struct TagQuery: Equatable, Sendable {
        public var letter: UInt8
        public var values: [String]
        public init(letter: UInt8, values: [String]) { self.letter = letter; self.values = values }
    }

    public init(
        ids: [Bytes32]? = nil, authors: [Bytes32]? = nil, kinds: [Int]? = nil, tagQueries: [TagQuery] = [],
        since: Int64? = nil, until: Int64? = nil, limit: Int? = nil
    ) {
        self.ids = ids
        self.authors = authors
        self.kinds = kinds
        self.tagQueries = tagQueries
        self.since = since
        self.until = until
        self.limit = limit
    }

    /// NIP-01 matching, for checking what relays send (they are untrusted).
    public func matches(_ e: Event) -> Bool {
        if let ids, !ids.contains(e.id) { return false }
        if let authors, !authors.contains(e.pubkey) { return false }
        if let kinds, !kinds.contains(e.kind) { return false }
        if let since, e.createdAt < since { return false }
        if let until, e.createdAt > until { return false }
        for q in tagQueries {
            var found = false
            for tag in e.tags where tag.count >= 2 {
                let name = tag[0].utf8
                // Values compare byte for byte, as relays match them (NIP-01).
                if name.count == 1, name.first == q.letter, q.values.contains(where: { $0.utf8.elementsEqual(tag[1].utf8) }) {
                    found = true
                    break
                }
            }
            if !found { return false }
        }
        return true
    }

    public func write(into out: inout JSONWriter) {
        out.raw(0x7B)
        var first = true
        func key(_ k: StaticString, _ out: inout JSONWriter) {
            if !first { out.raw(0x2C) }
            first = false
            out.raw(0x22); out.raw(k); out.raw("\":")
        }
        if let ids { key("ids", &out); writeHexList(ids, &out) }
        if let authors { key("authors", &out); writeHexList(authors, &out) }
        if let kinds {
            key("kinds", &out)
            out.raw(0x5B)
            for (i, k) in kinds.enumerated() { if i > 0 { out.raw(0x2C) }; out.int(k) }
            out.raw(0x5D)
        }
        for q in tagQueries {
            if !first { out.raw(0x2C) }
            first = false
            out.raw("\"#"); out.raw(q.letter); out.raw("\":[")
            for (i, v) in q.values.enumerated() { if i > 0 { out.raw(0x2C) }; out.string(v) }
            out.raw(0x5D)
        }
        if let since { key("since", &out); out.int(since) }
        if let until { key("until", &out); out.int(until) }
        if let limit { key("limit", &out); out.int(limit) }
        out.raw(0x7D)
    }

    func writeHexList(_ list: [Bytes32], _ out: inout JSONWriter) {
        out.raw(0x5B)
        for (i, v) in list.enumerated() { if i > 0 { out.raw(0x2C) }; out.hex(v) }
        out.raw(0x5D)
    }

    /// Parses a filter object; unknown members are refused as malformed.
    public init(json v: JSONValue) throws(NostrError) {
        guard v.kind == .object else { throw NostrError(.messageShape) }
        self.init()
        var result = self
        try v.forEachMember { (key, value) throws(NostrError) in
            guard let name = key.string else { throw NostrError(.messageShape) }
            switch name {
            case "ids": result.ids = try Self.hexList(value)
            case "authors": result.authors = try Self.hexList(value)
            case "kinds":
                guard value.kind == .array else { throw NostrError(.messageShape) }
                var kinds: [Int] = []
                for k in value.elements {
                    guard let n = k.int64, n >= 0, n <= Int64(Event.maxKind) else { throw NostrError(.messageShape) }
                    kinds.append(Int(n))
                }
                result.kinds = kinds
            case "since": result.since = try Self.integer(value)
            case "until": result.until = try Self.integer(value)
            case "limit": result.limit = Int(try Self.integer(value))
            default:
                let utf8 = Array(name.utf8)
                guard utf8.count == 2, utf8[0] == 0x23, value.kind == .array else { throw NostrError(.messageShape) }
                var values: [String] = []
                for s in value.elements {
                    guard let str = s.string else { throw NostrError(.messageShape) }
                    values.append(str)
                }
                result.tagQueries.append(TagQuery(letter: utf8[1], values: values))
            }
        }
        self = result
    }

    static func integer(_ v: JSONValue) throws(NostrError) -> Int64 {
        guard let n = v.int64, n >= 0 else { throw NostrError(.messageShape) }
        return n
    }

    static func hexList(_ v: JSONValue) throws(NostrError) -> [Bytes32] {
        guard v.kind == .array else { throw NostrError(.messageShape) }
        var out: [Bytes32] = []
        for s in v.elements { out.append(try EventFields.hex32(s, or: .messageShape)) }
        return out
    }
}
