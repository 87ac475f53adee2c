// Fuzz targets for what relays and users hand us: JSON (RFC 8259), NIP-01
// events and relay messages, signed records as the resolver cache takes
// them, bech32/NIP-19, names and URLs, and the config file.
import NostrCore

enum FuzzNostr {
    static let context = try! Secp256k1Context(randomSeed: .zero)
    static let secret = SecretKey(bytes: try! Bytes32(Array(repeating: UInt8(0x01), count: 32)))
    static let author = try! context.publicKey(of: secret)

    /// JSON: a parse that succeeds must write back (compact) to text that
    /// parses to the same compact text.
    static func json(_ input: UnsafeRawBufferPointer) {
        var reader = JSONReader(limits: JSONLimits(maxDepth: 32, maxBytes: 1 << 16, maxValues: 1 << 12))
        guard (try? reader.parse(input)) != nil else { return }
        var first = JSONWriter()
        reader.withRoot(input) { root in compact(root, into: &first) }
        var again = JSONReader()
        do throws(NostrError) { try again.parse(first.bytes) } catch { check(false, "compact JSON parses") }
        var second = JSONWriter()
        first.bytes.withUnsafeBytes { p in again.withRoot(p) { root in compact(root, into: &second) } }
        check(first.bytes == second.bytes, "JSON round trip")
    }

    static func compact(_ v: JSONValue, into w: inout JSONWriter) {
        switch v.kind {
        case .string:
            w.string(jsonValue: v)
        case .number, .true, .false, .null:
            for b in v.rawBytes { w.raw(b) }
        case .array:
            w.raw(0x5B)
            var first = true
            for e in v.elements {
                if !first { w.raw(0x2C) }
                first = false
                compact(e, into: &w)
            }
            w.raw(0x5D)
        case .object:
            w.raw(0x7B)
            var first = true
            v.forEachMember { key, value in
                if !first { w.raw(0x2C) }
                first = false
                w.string(jsonValue: key)
                w.raw(0x3A)
                compact(value, into: &w)
            }
            w.raw(0x7D)
        }
    }

    /// An event (NIP-01): a parse that succeeds writes back to JSON that
    /// parses to the same event; its id and signature are checked as the
    /// resolver does (a fuzzer cannot sign, so this stays false), and the
    /// record parsers run on it anyway.
    static func event(_ input: UnsafeRawBufferPointer) {
        var verifier = EventVerifier(context: context)
        _ = try? verifier.verify(json: input)
        guard let event = try? Event(json: Array(input)) else { return }
        guard let again = try? Event(json: event.json) else { check(false, "our event JSON parses"); return }
        check(again == event, "event round trip")
        records(event)
    }

    /// The record parsers (address, TLS key, wsn, seed formats) and the
    /// compact form the cache keeps.
    static func records(_ event: Event) {
        if let record = try? AddressRecord(event: event) {
            _ = record.template(createdAt: event.createdAt)
        }
        if let record = try? TLSKeyRecord(event: event) {
            _ = record.template(createdAt: event.createdAt)
            _ = try? CertificateInfo(pem: Array(record.certificatePEM.utf8))
        }
        _ = try? LegacyRecord(event: event)
        _ = WSNAddressRecord.endpoint(of: event)
        _ = ResolverKey.of(event)
        // The compact form recomputes the id (NIP-01), so only an event
        // whose id is right comes back equal; the cache keeps verified ones.
        if let compact = CompactEvent(event) {
            guard let back = try? compact.event(author: event.pubkey) else { check(false, "compact event expands"); return }
            let rightID =
                Event.computeId(
                    pubkey: event.pubkey, createdAt: event.createdAt, kind: event.kind,
                    tags: event.tags, content: event.content) == event.id
            check(
                back.id
                    == Event.computeId(
                        pubkey: back.pubkey, createdAt: back.createdAt, kind: back.kind,
                        tags: back.tags, content: back.content), "compact event has its id")
            if rightID { check(back == event, "compact event round trip") }
        }
    }

    /// A relay message (NIP-01 "From relay to client"): parse, write back,
    /// parse again to the same message.
    static func relayMessage(_ input: UnsafeRawBufferPointer) {
        var reader = JSONReader()
        let bytes = Array(input)
        guard let message = try? RelayMessage(json: bytes, reader: &reader) else {
            _ = try? ClientMessage(json: bytes, reader: &reader)
            return
        }
        guard let again = try? RelayMessage(json: message.json, reader: &reader) else { check(false, "our relay message parses"); return }
        check(again == message, "relay message round trip")
        if case .event(_, let event) = message { records(event) }
    }

    static let kinds = [AddressRecord.kind, TLSKeyRecord.kind, LegacyRecord.addressKind, LegacyRecord.certificateKind, 1]

    /// A record that verifies: the input (a kind selector, an age, then a
    /// JSON array of tags and optionally a last string, the content) is
    /// signed with a test key, then taken by the resolver cache as if a
    /// relay had sent it, and answered as the DNS server would.
    static func signedRecord(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        let kind = kinds[Int(input[0]) % kinds.count]
        let now: Int64 = 1_800_000_000
        let createdAt = now - Int64(input[1]) * 1000 + 600
        var reader = JSONReader(limits: JSONLimits(maxDepth: 4, maxBytes: 1 << 16, maxValues: 1 << 12))
        let rest = UnsafeRawBufferPointer(rebasing: input[2...])
        guard (try? reader.parse(rest)) != nil else { return }
        var tags: [[String]] = []
        var content = ""
        reader.withRoot(rest) { root in
            for element in root.elements {
                if element.kind == .string { content = element.string ?? "" }
                guard element.kind == .array else { continue }
                var tag: [String] = []
                for s in element.elements { tag.append(s.string ?? "") }
                tags.append(tag)
            }
        }
        let template = EventTemplate(createdAt: createdAt, kind: kind, tags: tags, content: content)
        guard let event = try? Event.sign(template, secret: secret, context: context, auxRand: .zero) else { return }
        check((try? event.verify(context: context)) != nil, "a signed event verifies")
        records(event)
        var cache = ResolverCache(capacity: 4)
        guard let key = cache.offer(event, now: now, context: context, create: true) else { return }
        guard case .fresh(let entry, let ttl) = cache.lookup(key, now: now) else { check(false, "offered record is fresh"); return }
        // The DNS answer for it: A for `<npub>.nostr`, TLSA for `_443._tcp.<npub>.nostr`.
        let tlsa = key.family != .addresses
        let answer: DNSResponder.Content = tlsa ? .tlsa(entry.tlsKeys, port: 443, ttl: ttl) : .addresses(entry.addresses, ttl: ttl)
        var query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        if tlsa { query += [4] + Array("_443".utf8) + [4] + Array("_tcp".utf8) }
        query += [63] + Array(NIP19.npub(author).utf8) + [5] + Array("nostr".utf8) + [0, 0, tlsa ? 52 : 1, 0, 1]
        var out = [UInt8](repeating: 0, count: 65535)
        query.withUnsafeBytes { message in
            guard case .query(let q) = DNSResponder.parse(message) else { check(false, "our query parses"); return }
            out.withUnsafeMutableBytes { buffer in
                for limit in [512, buffer.count] {
                    let n = DNSResponder.answer(q, message: message, content: answer, soa: .init(), into: buffer, limit: limit)
                    FuzzDNS.checkAnswer(buffer, n, limit: limit)
                }
            }
        }
        for event in cache.storedEvents() { check((try? event.verify(context: context)) != nil, "stored events verify") }
    }

    /// bech32 (BIP-173) and NIP-19: what decodes encodes back to the same
    /// text (lowercased); the DNS zone's in-place npub decoder agrees.
    static func bech32(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        if let (hrp, data) = try? Bech32.decode(text) {
            check(Bech32.encode(hrp: hrp, data: data) == text.lowercased(), "bech32 round trip")
        }
        let entity = try? NIP19.decode(text)
        let npub = try? NIP19.decodeNpub(text)
        if let npub { check(NIP19.npub(npub) == text.lowercased(), "npub round trip") }
        // `decode` also takes a NIP-21 URI ("nostr:" in any case, RFC 3986
        // §3.1); `decodeNpub` takes the bare npub.
        if case .npub(let key)? = entity {
            let scheme = Array("nostr:".utf8)
            let bare =
                input.count > 6 && zip(input.prefix(6), scheme).allSatisfy { $0 | 0x20 == $1 }
                ? String(decoding: input.dropFirst(6), as: UTF8.self) : text
            check(key == (try? NIP19.decodeNpub(bare)), "decode and decodeNpub agree")
        }
        // The DNS label form: length octet, the text, then "nostr". DNS
        // names are compared without ASCII case (RFC 4343; resolvers may
        // randomize it), so the zone reads any case: as NIP-19 reads the
        // text with its ASCII letters lowercased.
        if input.count < 64 {
            let lower = String(decoding: input.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
            let npub = try? NIP19.decodeNpub(lower)
            var name: [UInt8] = [UInt8(input.count)] + Array(input) + [5] + Array("nostr".utf8) + [0]
            name.withUnsafeMutableBytes { p in
                if case .addresses(let author, let labelLength) = NostrZone.classify(UnsafeRawBufferPointer(p)), labelLength == 0 {
                    check(author == npub, "the zone decodes the npub as NIP-19 does")
                } else {
                    check(npub == nil, "the zone decodes every npub NIP-19 does")
                }
            }
        }
    }

    /// Names and URLs a user or a relay list gives: `<npub>.nostr`,
    /// relay URLs (ws, wss, wsn), https URLs and IP addresses; an address
    /// writes back to text that parses to the same address.
    static func names(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        _ = try? NostrName(parsing: text)
        if let url = try? RelayURL(parsing: text) {
            check((try? RelayURL(parsing: url.text)) == url, "relay URL round trip")
            _ = url.hostHeader
        }
        if let url = try? HTTPSURL(parsing: text) { _ = url.authority }
        if let address = try? IPAddress(parsing: input) {
            check((try? IPAddress(parsing: address.text)) == address, "IP address round trip")
        }
    }

    /// The config file (the Design article, "The config file").
    static func config(_ input: UnsafeRawBufferPointer) {
        guard let config = try? ConfigFile(parsing: Array(input)) else { return }
        for key in ConfigFile.knownKeys { _ = config.values(key) }
    }
}
