/// NIP-01 events: the stages of an event (template → signed event), the
/// canonical serialization that defines the id, signing and verification.
///
/// NIP-01 "Events and signatures": the id is the SHA-256 of the UTF-8
/// serialization of `[0,<pubkey, lowercase hex>,<created_at>,<kind>,<tags>,<content>]`
/// with no whitespace and strings escaped as `JSONWriter` does; `sig` is the
/// BIP-340 signature of the id by the key `pubkey`.

/// What an author wants to publish, before it has a key, id or signature.
public struct EventTemplate: Equatable, Sendable {
    public var createdAt: Int64
    public var kind: Int
    public var tags: [[String]]
    public var content: String

    public init(createdAt: Int64, kind: Int, tags: [[String]] = [], content: String = "") {
        self.createdAt = createdAt
        self.kind = kind
        self.tags = tags
        self.content = content
    }
}

/// A complete event. An `Event` built by `parse` or `sign` is well-formed;
/// whether its id and signature are valid is what `verify` says.
public struct Event: JSONCodable, Equatable, Sendable {
    public var id: Bytes32
    public var pubkey: Bytes32
    public var createdAt: Int64
    public var kind: Int
    public var tags: [[String]]
    public var content: String
    public var sig: Bytes64

    public init(id: Bytes32, pubkey: Bytes32, createdAt: Int64, kind: Int, tags: [[String]], content: String, sig: Bytes64) {
        self.id = id
        self.pubkey = pubkey
        self.createdAt = createdAt
        self.kind = kind
        self.tags = tags
        self.content = content
        self.sig = sig
    }

    /// Kinds are 16-bit in practice (NIP-01 ranges go up to 39999); larger
    /// values are refused as malformed.
    public static let maxKind = 65535

    /// Appends the NIP-01 id serialization of these fields to `out`.
    public static func serializeForId(
        pubkey: Bytes32, createdAt: Int64, kind: Int, tags: [[String]], content: String, into out: inout JSONWriter
    ) {
        out.raw("[0,")
        out.hex(pubkey)
        out.raw(0x2C)
        out.int(createdAt)
        out.raw(0x2C)
        out.int(kind)
        out.raw(0x2C)
        writeTags(tags, into: &out)
        out.raw(0x2C)
        out.string(content)
        out.raw(0x5D)
    }

    static func writeTags(_ tags: [[String]], into out: inout JSONWriter) {
        out.raw(0x5B)
        for (i, tag) in tags.enumerated() {
            if i > 0 { out.raw(0x2C) }
            out.raw(0x5B)
            for (j, item) in tag.enumerated() {
                if j > 0 { out.raw(0x2C) }
                out.string(item)
            }
            out.raw(0x5D)
        }
        out.raw(0x5D)
    }

    /// The id these fields hash to.
    public static func computeId(pubkey: Bytes32, createdAt: Int64, kind: Int, tags: [[String]], content: String) -> Bytes32 {
        var w = JSONWriter(capacity: 128 + content.utf8.count)
        serializeForId(pubkey: pubkey, createdAt: createdAt, kind: kind, tags: tags, content: content, into: &w)
        return SHA256.hash(w.bytes)
    }

    /// Signs `template` with `secret` (BIP-340 with fresh auxiliary randomness `auxRand`).
    public static func sign(
        _ template: EventTemplate, secret: SecretKey, context: Secp256k1Context, auxRand: Bytes32
    ) throws(NostrError) -> Event {
        guard template.kind >= 0, template.kind <= maxKind, template.createdAt >= 0 else { throw NostrError(.eventField) }
        let pubkey = try context.publicKey(of: secret)
        let id = computeId(
            pubkey: pubkey, createdAt: template.createdAt, kind: template.kind, tags: template.tags, content: template.content)
        let sig = try context.sign(digest: id, secret: secret, auxRand: auxRand)
        return Event(
            id: id, pubkey: pubkey, createdAt: template.createdAt, kind: template.kind, tags: template.tags, content: template.content,
            sig: sig)
    }

    /// Checks that `id` is the hash of the serialization and `sig` verifies.
    public func verify(context: Secp256k1Context) throws(NostrError) {
        let expected = Event.computeId(pubkey: pubkey, createdAt: createdAt, kind: kind, tags: tags, content: content)
        guard expected == id else { throw NostrError(.idMismatch) }
        guard context.verify(signature: sig, digest: id, publicKey: pubkey) else { throw NostrError(.badSignature) }
    }

    /// The event as one line of JSON: `{"id":…,"pubkey":…,"created_at":…,"kind":…,"tags":…,"content":…,"sig":…}`.
    public func write(into out: inout JSONWriter) {
        out.raw("{\"id\":")
        out.hex(id)
        out.raw(",\"pubkey\":")
        out.hex(pubkey)
        out.raw(",\"created_at\":")
        out.int(createdAt)
        out.raw(",\"kind\":")
        out.int(kind)
        out.raw(",\"tags\":")
        Event.writeTags(tags, into: &out)
        out.raw(",\"content\":")
        out.string(content)
        out.raw(",\"sig\":")
        out.hex(sig)
        out.raw(0x7D)
    }

    /// The value of the first tag named `name` (its second element), if any.
    /// Names compare byte for byte, as relays compare them (String `==`
    /// would apply Unicode canonical equivalence).
    public func firstTagValue(_ name: String) -> String? {
        for tag in tags where tag.count >= 2 && tag[0].utf8.elementsEqual(name.utf8) { return tag[1] }
        return nil
    }

    /// Parses an event object (shape and types only; call `verify` to check it).
    public init(json value: JSONValue) throws(NostrError) {
        let f = try EventFields(value)
        var tags: [[String]] = []
        tags.reserveCapacity(f.tags.count)
        for tag in f.tags.elements {
            var items: [String] = []
            items.reserveCapacity(tag.count)
            for item in tag.elements { items.append(item.string ?? "") }
            tags.append(items)
        }
        self.init(
            id: f.id, pubkey: f.pubkey, createdAt: f.createdAt, kind: f.kind, tags: tags,
            content: f.content.string ?? "", sig: f.sig)
    }

    /// Parses one event from JSON text.
    public init(json bytes: [UInt8], limits: JSONLimits = JSONLimits()) throws(NostrError) {
        var reader = JSONReader(limits: limits)
        try self.init(json: bytes, reader: &reader)
    }
}

/// The seven fields of an event object, checked for shape and type but not
/// copied: `tags` and `content` stay views into the input.
public struct EventFields {
    public var id: Bytes32
    public var pubkey: Bytes32
    public var createdAt: Int64
    public var kind: Int
    public var tags: JSONValue
    public var content: JSONValue
    public var sig: Bytes64
    /// The raw JSON number text of created_at and kind (canonical once checked).
    var createdAtRaw: JSONValue
    var kindRaw: JSONValue
    var pubkeyRaw: JSONValue

    /// Each of the seven fields must appear exactly once (a duplicate would
    /// let two readers see two different events under one id); other
    /// members are ignored. Hex must be lowercase and of the exact length;
    /// `tags` must be an array of arrays of strings.
    public init(_ v: JSONValue) throws(NostrError) {
        guard v.kind == .object else { throw NostrError(.eventShape) }
        var seen: UInt8 = 0
        var id: JSONValue?, pubkey: JSONValue?, createdAt: JSONValue?, kind: JSONValue?
        var tags: JSONValue?, content: JSONValue?, sig: JSONValue?
        try v.forEachMember { (key, value) throws(NostrError) in
            // A name written with escapes ("\u0063ontent") is the same name
            // to every JSON reader, so it is matched decoded: otherwise it
            // could smuggle a second "content" past the duplicate check.
            var decoded: [UInt8] = []
            if key.token.escaped { key.appendString(to: &decoded) }
            let bit = key.token.escaped ? decoded.withUnsafeBytes { Self.fieldBit($0) } : Self.fieldBit(key.rawBytes)
            switch bit {
            case 1: id = value
            case 2: sig = value
            case 4: kind = value
            case 8: tags = value
            case 16: pubkey = value
            case 32: content = value
            case 64: createdAt = value
            default: return
            }
            guard seen & bit == 0 else { throw NostrError(.eventShape, at: Int(key.token.start)) }
            seen |= bit
        }
        guard let id, let pubkey, let createdAt, let kind, let tags, let content, let sig else {
            throw NostrError(.eventShape)
        }
        self.id = try Self.hex32(id)
        self.pubkey = try Self.hex32(pubkey)
        self.sig = try Self.hex64(sig)
        guard let c = createdAt.int64, c >= 0 else { throw NostrError(.eventField, at: Int(createdAt.token.start)) }
        guard let k = kind.int64, k >= 0, k <= Int64(Event.maxKind) else { throw NostrError(.eventField, at: Int(kind.token.start)) }
        guard content.kind == .string, tags.kind == .array else { throw NostrError(.eventField) }
        for tag in tags.elements {
            guard tag.kind == .array else { throw NostrError(.eventField, at: Int(tag.token.start)) }
            for item in tag.elements where item.kind != .string {
                throw NostrError(.eventField, at: Int(item.token.start))
            }
        }
        self.createdAt = c
        self.kind = Int(k)
        self.tags = tags
        self.content = content
        self.createdAtRaw = createdAt
        self.kindRaw = kind
        self.pubkeyRaw = pubkey
    }

    /// The bit of an event field name, or 0 for any other name.
    @inline(__always)
    static func fieldBit(_ name: UnsafeRawBufferPointer) -> UInt8 {
        switch name.count {
        case 2 where equal(name, "id"): return 1
        case 3 where equal(name, "sig"): return 2
        case 4 where equal(name, "kind"): return 4
        case 4 where equal(name, "tags"): return 8
        case 6 where equal(name, "pubkey"): return 16
        case 7 where equal(name, "content"): return 32
        case 10 where equal(name, "created_at"): return 64
        default: return 0
        }
    }

    @inline(__always)
    static func equal(_ raw: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
        let p = s.utf8Start
        for i in 0..<raw.count where raw[i] != p[i] { return false }
        return true
    }

    /// A lowercase hex string of exactly 32 (or 64) bytes; anything else is
    /// `code` at the value's offset.
    static func hex32(_ v: JSONValue, or code: NostrError.Code = .eventField) throws(NostrError) -> Bytes32 {
        var out = Bytes32.zero
        try out.withUnsafeMutableBytes { (dst) throws(NostrError) in try decodeHex(v, into: dst, or: code) }
        return out
    }

    static func hex64(_ v: JSONValue, or code: NostrError.Code = .eventField) throws(NostrError) -> Bytes64 {
        var out = Bytes64.zero
        try out.withUnsafeMutableBytes { (dst) throws(NostrError) in try decodeHex(v, into: dst, or: code) }
        return out
    }

    static func decodeHex(_ v: JSONValue, into dst: UnsafeMutableRawBufferPointer, or code: NostrError.Code) throws(NostrError) {
        let at = Int(v.token.start)
        guard v.kind == .string, !v.token.escaped else { throw NostrError(code, at: at) }
        do throws(NostrError) {
            try Hex.decode(v.rawBytes, into: dst)
        } catch {
            throw NostrError(code, at: error.offset >= 0 ? at + error.offset : at)
        }
    }

    /// Appends the NIP-01 id serialization straight from the parsed input:
    /// hex and integers are copied (they are canonical once checked), strings
    /// without escapes are copied, strings with escapes are decoded and
    /// re-escaped canonically.
    public func serializeForId(into out: inout JSONWriter) {
        out.raw("[0,\"")
        out.bytes.append(contentsOf: pubkeyRaw.rawBytes)
        out.raw("\",")
        out.bytes.append(contentsOf: createdAtRaw.numberBytes)
        out.raw(0x2C)
        out.bytes.append(contentsOf: kindRaw.numberBytes)
        out.raw(",[")
        var firstTag = true
        for tag in tags.elements {
            if !firstTag { out.raw(0x2C) }
            firstTag = false
            out.raw(0x5B)
            var firstItem = true
            for item in tag.elements {
                if !firstItem { out.raw(0x2C) }
                firstItem = false
                out.string(jsonValue: item)
            }
            out.raw(0x5D)
        }
        out.raw("],")
        out.string(jsonValue: content)
        out.raw(0x5D)
    }
}

extension JSONValue {
    /// The bytes of a number token.
    var numberBytes: UnsafeRawBufferPointer {
        let t = token
        return UnsafeRawBufferPointer(rebasing: input[Int(t.start)..<Int(t.end)])
    }
}
