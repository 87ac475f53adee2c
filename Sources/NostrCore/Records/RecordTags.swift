/// Tag reading shared by the record formats (the Design article, "Records on nostr").
/// Names and values are compared as UTF-8 bytes: String `==` would pull the
/// Unicode normalization tables into Embedded builds, and tag names are
/// ASCII anyway.
enum RecordTags {
    /// Whether `tag` is named `name` and has a value (`[name, value, …]`).
    @inline(__always)
    static func isTag(_ tag: [String], _ name: StaticString) -> Bool {
        tag.count >= 2 && equal(tag[0], name)
    }

    /// The value of the first tag named `name` (NIP-01: "the first `d` tag").
    static func first(_ tags: [[String]], _ name: StaticString) -> String? {
        for tag in tags where isTag(tag, name) { return tag[1] }
        return nil
    }

    static func equal(_ s: String, _ name: StaticString) -> Bool {
        s.utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    static func equal(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?): return equal(x, y)
        default: return false
        }
    }

    /// A non-negative decimal integer: ASCII digits only (no sign, space or
    /// fraction), at most 18 of them so that it fits any Int64 arithmetic
    /// done with it; nil otherwise.
    static func decimal(_ s: String) -> Int64? {
        var v: Int64 = 0
        var n = 0
        for c in s.utf8 {
            let d = c &- 0x30
            guard d < 10, n < 18 else { return nil }
            v = v * 10 + Int64(d)
            n += 1
        }
        return n > 0 ? v : nil
    }

    /// The NIP-40 `expiration` of `tags`: nil when there is none; `.recordShape`
    /// when there is one that is not a decimal timestamp (an expiry that
    /// cannot be read is not taken to mean "never expires").
    static func expiration(_ tags: [[String]]) throws(NostrError) -> Int64? {
        try timestamp(tags, "expiration")
    }

    /// A tag holding a unix time, as `expiration`.
    static func timestamp(_ tags: [[String]], _ name: StaticString) throws(NostrError) -> Int64? {
        guard let text = first(tags, name) else { return nil }
        guard let t = decimal(text) else { throw NostrError(.recordShape) }
        return t
    }

    /// Decimal text of `v`, for tag values.
    static func text(_ v: Int64) -> String {
        var w = JSONWriter(capacity: 20)
        w.int(v)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
