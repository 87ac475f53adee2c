/// A signed event kept in memory in a compact binary form, for the
/// resolver cache: what is needed to rebuild the exact event and check its
/// signature again (NIP-01: the id is the hash of the serialization, so it
/// is recomputed, not stored). One heap object per event instead of one per
/// tag and tag item.
///
/// Layout (big-endian): created_at (8), kind (2), sig (64), tag count (2),
/// per tag: item count (1) and per item: length (2) and UTF-8 bytes; then
/// the content's length (4) and bytes. The author is kept by the caller.
public struct CompactEvent: Sendable {
    public let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Nil for an event that does not fit the layout (more than 65535 tags,
    /// 255 items in a tag, an item over 65535 bytes): such events are not
    /// records.
    public init?(_ event: Event) {
        guard event.tags.count <= 0xFFFF, event.kind >= 0, event.kind <= 0xFFFF else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(80 + event.content.utf8.count + event.tags.count * 16)
        Self.put(&out, UInt64(bitPattern: event.createdAt), 8)
        Self.put(&out, UInt64(event.kind), 2)
        event.sig.withUnsafeBytes { out.append(contentsOf: $0) }
        Self.put(&out, UInt64(event.tags.count), 2)
        for tag in event.tags {
            guard tag.count <= 0xFF else { return nil }
            out.append(UInt8(tag.count))
            for item in tag {
                guard item.utf8.count <= 0xFFFF else { return nil }
                Self.put(&out, UInt64(item.utf8.count), 2)
                out.append(contentsOf: item.utf8)
            }
        }
        Self.put(&out, UInt64(event.content.utf8.count), 4)
        out.append(contentsOf: event.content.utf8)
        bytes = out
    }

    static func put(_ out: inout [UInt8], _ v: UInt64, _ n: Int) {
        for i in stride(from: n - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// The event again, by `author`, with its id recomputed. `.badLength`
    /// if the bytes do not follow the layout. The signature is not checked
    /// here: call `verify` where it matters.
    public func event(author: Bytes32) throws(NostrError) -> Event {
        var p = 0
        func take(_ n: Int) throws(NostrError) -> UInt64 {
            guard bytes.count - p >= n else { throw NostrError(.badLength, at: p) }
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(bytes[p + i]) }
            p += n
            return v
        }
        func text(_ n: Int) throws(NostrError) -> String {
            guard bytes.count - p >= n else { throw NostrError(.badLength, at: p) }
            defer { p += n }
            return String(decoding: bytes[p..<(p + n)], as: UTF8.self)
        }
        let createdAt = Int64(bitPattern: try take(8))
        let kind = Int(try take(2))
        guard bytes.count - p >= 64 else { throw NostrError(.badLength, at: p) }
        let sig = try Bytes64(bytes[p..<(p + 64)])
        p += 64
        let tagCount = Int(try take(2))
        var tags: [[String]] = []
        tags.reserveCapacity(tagCount)
        for _ in 0..<tagCount {
            let items = Int(try take(1))
            var tag: [String] = []
            tag.reserveCapacity(items)
            for _ in 0..<items { tag.append(try text(Int(try take(2)))) }
            tags.append(tag)
        }
        let content = try text(Int(try take(4)))
        guard p == bytes.count else { throw NostrError(.badLength, at: p) }
        let id = Event.computeId(pubkey: author, createdAt: createdAt, kind: kind, tags: tags, content: content)
        return Event(id: id, pubkey: author, createdAt: createdAt, kind: kind, tags: tags, content: content, sig: sig)
    }
}
