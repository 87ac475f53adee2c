/// The proof of concept's record format (the Design article, "Records on nostr":
/// the seed format), read for compatibility and written only on request
/// (`--legacy`):
///
/// - kind 30000, no tags, content `{"ip": "<addr>"}` (Python's
///   `json.dumps({"ip": ip})`);
/// - kind 30001, no tags, content a PEM certificate.
///
/// Kinds 30000 and 30001 are also NIP-51 sets (follow sets, and formerly
/// generic lists) in the wider nostr world, which carry a `d` tag, `p` or
/// other tags, and "" or NIP-04/NIP-44 encrypted content. Only events of
/// exactly the seed's shape are records; everything else is `.recordShape`.
public enum LegacyRecord: Equatable, Sendable {
    /// Kind 30000: where the host lives.
    case address(IPAddress)
    /// Kind 30001: the PEM certificate the host serves.
    case certificate(String)

    public static let addressKind = 30000
    public static let certificateKind = 30001

    /// The unsigned event, as the seed wrote it: no tags, content
    /// `{"ip":"192.0.2.1"}` (written with `JSONWriter`, so without the space
    /// Python puts after the colon; both are the same JSON) or the PEM text.
    public func template(createdAt: Int64) -> EventTemplate {
        switch self {
        case .address(let a):
            var w = JSONWriter(capacity: 64)
            w.raw("{\"ip\":")
            w.string(a.text)
            w.raw(0x7D)
            return EventTemplate(
                createdAt: createdAt, kind: LegacyRecord.addressKind, tags: [],
                content: String(decoding: w.bytes, as: UTF8.self))
        case .certificate(let pem):
            return EventTemplate(createdAt: createdAt, kind: LegacyRecord.certificateKind, tags: [], content: pem)
        }
    }

    /// Reads a seed-format event; `.recordShape` for anything else: another
    /// kind, any tag at all, content that is not a JSON object whose only
    /// member is "ip" with a string value that parses as an address
    /// (`IPAddress(parsing:)`, strict), or, for kind 30001, content that
    /// (leading and trailing whitespace aside) does not begin with
    /// "-----BEGIN CERTIFICATE-----" and end with "-----END CERTIFICATE-----"
    /// (RFC 7468 §2, §5.1).
    public init(event: Event) throws(NostrError) {
        guard event.tags.isEmpty else { throw NostrError(.recordShape) }
        switch event.kind {
        case LegacyRecord.addressKind:
            self = .address(try LegacyRecord.parseAddressContent(event.content))
        case LegacyRecord.certificateKind:
            guard LegacyRecord.isPEMCertificate(event.content) else { throw NostrError(.recordShape) }
            self = .certificate(event.content)
        default:
            throw NostrError(.recordShape)
        }
    }

    /// `{"ip": "<addr>"}` and nothing else.
    static func parseAddressContent(_ content: String) throws(NostrError) -> IPAddress {
        let bytes = Array(content.utf8)
        // Object, key, value: three values at most; anything bigger is not this shape.
        var reader = JSONReader(limits: JSONLimits(maxDepth: 1, maxBytes: 256, maxValues: 3))
        do throws(NostrError) {
            try reader.parse(bytes)
        } catch {
            throw NostrError(.recordShape)
        }
        return try bytes.withBytes { (input) throws(NostrError) -> IPAddress in
            try reader.withRoot(input) { (root) throws(NostrError) -> IPAddress in
                let ip: StaticString = "ip"
                guard root.kind == .object, root.count == 1, let value = root.member(ip), value.kind == .string else {
                    throw NostrError(.recordShape)
                }
                var text: [UInt8] = []
                value.appendString(to: &text)
                do throws(NostrError) {
                    return try IPAddress(parsing: text)
                } catch {
                    throw NostrError(.recordShape)
                }
            }
        }
    }

    /// RFC 7468 §5.1 encapsulation boundaries of a certificate.
    static func isPEMCertificate(_ content: String) -> Bool {
        let begin: StaticString = "-----BEGIN CERTIFICATE-----"
        let end: StaticString = "-----END CERTIFICATE-----"
        let utf8 = content.utf8
        var first = utf8.startIndex
        var last = utf8.endIndex
        while first < last, isSpace(utf8[first]) { first = utf8.index(after: first) }
        while first < last, isSpace(utf8[utf8.index(before: last)]) { last = utf8.index(before: last) }
        let trimmed = utf8[first..<last]
        let b = UnsafeBufferPointer(start: begin.utf8Start, count: begin.utf8CodeUnitCount)
        let e = UnsafeBufferPointer(start: end.utf8Start, count: end.utf8CodeUnitCount)
        guard trimmed.count > b.count + e.count else { return false }
        return trimmed.starts(with: b) && trimmed.reversed().starts(with: e.reversed())
    }

    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    public static func == (a: LegacyRecord, b: LegacyRecord) -> Bool {
        switch (a, b) {
        case (.address(let x), .address(let y)): return x == y
        case (.certificate(let x), .certificate(let y)): return RecordTags.equal(x, y)
        default: return false
        }
    }
}
