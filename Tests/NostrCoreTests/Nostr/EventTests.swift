import Testing

@testable import NostrCore

/// The error code `body` throws, or nil if it throws nothing (or a foreign error).
func errorCode(_ body: () throws -> Void) -> NostrError.Code? {
    do {
        try body()
        return nil
    } catch let e as NostrError {
        return e.code
    } catch {
        return nil
    }
}

/// Shared fixtures: a deterministic context, keys and signing helpers.
enum EventFixtures {
    static let context = try! Secp256k1Context(randomSeed: try! Hex.decode32(String(repeating: "5a", count: 32)))
    /// Secret key 0x00…03; its x-only public key is x(3G).
    static let secret3 = SecretKey(bytes: try! Hex.decode32(String(repeating: "0", count: 63) + "3"))
    static let pubkey3Hex = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
    /// Another key, 0x00…07.
    static let secret7 = SecretKey(bytes: try! Hex.decode32(String(repeating: "0", count: 63) + "7"))
    static let auxRand = try! Hex.decode32(String(repeating: "11", count: 32))
    static let createdAt: Int64 = 1_700_000_000
    static let kind = 30053

    static func sign(
        tags: [[String]], content: String, secret: SecretKey = secret3,
        createdAt: Int64 = createdAt, kind: Int = kind
    ) -> Event {
        try! Event.sign(
            EventTemplate(createdAt: createdAt, kind: kind, tags: tags, content: content),
            secret: secret, context: context, auxRand: auxRand)
    }

    /// Runs `EventVerifier.verify(json:)` on `text` with a fresh verifier.
    static func verifierId(_ text: [UInt8]) throws(NostrError) -> Bytes32 {
        var v = EventVerifier(context: context)
        return try text.withBytes { (p) throws(NostrError) -> Bytes32 in try v.verify(json: p) }
    }

    static func verifierId(_ text: String) throws(NostrError) -> Bytes32 { try verifierId(Array(text.utf8)) }

    /// Parses `text` as an event and verifies it with `Event.verify`.
    static func parseAndVerify(_ text: String) throws(NostrError) -> Event {
        let e = try Event(json: Array(text.utf8))
        try e.verify(context: context)
        return e
    }

    static var baseEvent: Event {
        sign(tags: [["d", "name"], ["a", "value"]], content: "hello world")
    }

    static var baseJSON: String { String(decoding: baseEvent.json, as: UTF8.self) }
}

/// A known-answer case for the id serialization.
struct IdVector: CustomTestStringConvertible, Sendable {
    let name: String
    let tags: [[String]]
    let content: String
    let expectedId: String
    var testDescription: String { name }
}

/// A one-field change to a valid signed event, and the code it must be refused with.
struct Tamper: CustomTestStringConvertible, Sendable {
    let name: String
    let expected: NostrError.Code
    let change: @Sendable (String) -> String
    var testDescription: String { name }
}

/// An event JSON text that is malformed, and the code it must be refused with.
struct MalformedEvent: CustomTestStringConvertible, Sendable {
    let name: String
    let json: String
    let expected: NostrError.Code
    var testDescription: String { name }
}

private let allControls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)

/// Replaces the single occurrence of `old` in `s` (traps if absent, so a
/// fixture that stops matching fails loudly instead of testing nothing).
func replacingOnce(_ s: String, _ old: String, _ new: String) -> String {
    guard let r = s.range(of: old) else { fatalError("fixture text \(old) not found in \(s)") }
    return s.replacingCharacters(in: r, with: new)
}

/// Flips one hex digit (the first one) of `hex`.
func flipFirstHexDigit(_ hex: String) -> String {
    let first = hex.first!
    return (first == "0" ? "1" : "0") + hex.dropFirst()
}

/// The members of the base event as (key, raw JSON value), in order.
private func baseMembers() -> [(String, String)] {
    let e = EventFixtures.baseEvent
    return [
        ("id", "\"\(e.id.hex)\""),
        ("pubkey", "\"\(e.pubkey.hex)\""),
        ("created_at", "\(e.createdAt)"),
        ("kind", "\(e.kind)"),
        ("tags", "[[\"d\",\"name\"],[\"a\",\"value\"]]"),
        ("content", "\"hello world\""),
        ("sig", "\"\(e.sig.hex)\""),
    ]
}

private func object(_ members: [(String, String)]) -> String {
    "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

private func replacing(_ key: String, with raw: String) -> String {
    object(baseMembers().map { $0.0 == key ? ($0.0, raw) : $0 })
}

private func without(_ key: String) -> String {
    object(baseMembers().filter { $0.0 != key })
}

@Suite struct EventTests {
    typealias F = EventFixtures

    // MARK: Signing and round trips

    @Test func signedEventVerifies() throws {
        #expect(F.context.isValid(secret: F.secret3))
        #expect(try F.context.publicKey(of: F.secret3).hex == F.pubkey3Hex)
        for secret in [F.secret3, F.secret7] {
            let e = F.sign(
                tags: [["d", "example.com"], ["relay", "wss://r.example"]],
                content: "{\"a\":1}\n", secret: secret)
            #expect(e.pubkey == (try F.context.publicKey(of: secret)))
            try e.verify(context: F.context)
            #expect(e.id == Event.computeId(pubkey: e.pubkey, createdAt: e.createdAt, kind: e.kind, tags: e.tags, content: e.content))
            let reparsed = try Event(json: e.json)
            #expect(reparsed == e)
            #expect(try F.verifierId(e.json) == e.id)
            #expect(e.firstTagValue("d") == "example.com")
            #expect(e.firstTagValue("x") == nil)
        }
        // Same template, same auxRand: deterministic signature.
        #expect(F.baseEvent == F.baseEvent)
    }

    @Test func oneVerifierIsReusedAcrossEventsAndKeys() throws {
        var v = EventVerifier(context: F.context)
        let events = [
            F.sign(tags: [], content: "1"), F.sign(tags: [], content: "2", secret: F.secret7),
            F.sign(tags: [], content: "3"), F.sign(tags: [], content: "3", secret: F.secret7),
        ]
        for e in events {
            let json = e.json
            let id = try json.withBytes { (p) throws(NostrError) -> Bytes32 in try v.verify(json: p) }
            #expect(id == e.id)
        }
        // A failure in between leaves the verifier usable.
        let bad = Array(replacingOnce(String(decoding: events[0].json, as: UTF8.self), "\"1\"", "\"2\"").utf8)
        #expect(errorCode { _ = try bad.withBytes { (p) throws(NostrError) -> Bytes32 in try v.verify(json: p) } } == .idMismatch)
        let again = events[1].json
        #expect(try again.withBytes { (p) throws(NostrError) -> Bytes32 in try v.verify(json: p) } == events[1].id)
    }

    @Test func signRefusesBadTemplates() {
        let bad = [
            EventTemplate(createdAt: -1, kind: 1),
            EventTemplate(createdAt: 0, kind: -1),
            EventTemplate(createdAt: 0, kind: 65536),
        ]
        for t in bad {
            #expect(errorCode { _ = try Event.sign(t, secret: F.secret3, context: F.context, auxRand: F.auxRand) } == .eventField)
        }
    }

    // MARK: Known-answer ids

    // Expected ids were computed with an independent implementation, CPython 3's
    // standard library:
    //   hashlib.sha256(json.dumps([0, pubkey, 1700000000, 30053, tags, content],
    //                             separators=(',', ':'), ensure_ascii=False).encode()).hexdigest()
    // with pubkey = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9" (secret key 3).
    // json.dumps was checked to escape exactly as NIP-01 requires: `\"`, `\\`, `\b`, `\f`,
    // `\n`, `\r`, `\t`, other 0x00–0x1f as lowercase `\u00xx`, and 0x7f, `/` and
    // non-ASCII verbatim (ensure_ascii=False), UTF-8 encoded.
    static let idVectors: [IdVector] = [
        IdVector(
            name: "empty content, no tags", tags: [], content: "",
            expectedId: "abf15a354a20402d986c02ff476c2b6e7c841d29d6baa18925452d8c91af6b42"),
        IdVector(
            name: "quotes and backslashes", tags: [], content: "say \"hi\" \\ back\\\\slash",
            expectedId: "68155025ab5f4a56cc63d60ede7dee9f129539765ae638bbc3693680372524bd"),
        IdVector(
            name: "every control character 0x00-0x1f", tags: [], content: allControls,
            expectedId: "1e98abaae5a574623d618374773bf7b585244eb155c30707f6e9a8254b759c82"),
        IdVector(
            name: "slash and DEL verbatim", tags: [], content: "a/b\u{7f}c</script>",
            expectedId: "593998c84b85700ec52b81c703bdc41c4e2c006ae2f2796c701d72de0709cea9"),
        IdVector(
            name: "non-ASCII", tags: [], content: "é 中文 🦩",
            expectedId: "4e90fba8695176c062469e32f17f35f3fb1966311537c39b84321771dafad043"),
        IdVector(
            name: "empty tag", tags: [[]], content: "x",
            expectedId: "c9eee7c0583082494722247c4efbeb80692e67a7fdb1c7b675865ef2a1b99bb2"),
        IdVector(
            name: "d tag with empty value", tags: [["d", ""]], content: "",
            expectedId: "11ec2bd4eee8a94d5b8bd72b5ff7d13373f191b8b3e7a68d68845f0f1fb2ea0e"),
        IdVector(
            name: "two tags, comma in a value", tags: [["a", "b,c"], ["x"]], content: "mixed \"q\" \n\t é🦩",
            expectedId: "3372994ca87f9bc1f8d9220b6603a7596be325892f5b2fb7d84ad6d202fa1dbf"),
        IdVector(
            name: "control characters in a tag", tags: [["d", "\u{0}\u{1f}\u{7f}/"]], content: "\u{8}\u{c}\n\r\t",
            expectedId: "515ef21ccd0017fccb5d4e5f8ec3b717a768c1790f65a541295a6af0f2838666"),
    ]

    @Test(arguments: idVectors)
    func knownAnswerIds(_ v: IdVector) throws {
        let pubkey = try Hex.decode32(F.pubkey3Hex)
        let expected = try Hex.decode32(v.expectedId)
        // The in-memory serialization.
        #expect(Event.computeId(pubkey: pubkey, createdAt: F.createdAt, kind: F.kind, tags: v.tags, content: v.content).hex == v.expectedId)
        // Signing uses the same id.
        let e = F.sign(tags: v.tags, content: v.content)
        #expect(e.pubkey == pubkey)
        #expect(e.id == expected)
        try e.verify(context: F.context)
        // The verifier re-serializes from the parsed text (escaped forms decoded and re-escaped).
        #expect(try F.verifierId(e.json) == expected)
        // And the parsed event is the same event.
        let parsed = try Event(json: e.json)
        #expect(parsed == e)
        try parsed.verify(context: F.context)
    }

    // MARK: Escapes in the input

    @Test func escapedInputFormsGiveTheSameId() throws {
        let content = "A/ é 🦩 line\nbreak"
        let tags = [["d", "é/"], ["t", "🦩A"]]
        let e = F.sign(tags: tags, content: content)
        var text = String(decoding: e.json, as: UTF8.self)
        #expect(text.contains("\"content\":\"A/ é 🦩 line\\nbreak\""))
        text = replacingOnce(
            text, "\"content\":\"A/ é 🦩 line\\nbreak\"",
            "\"content\":\"\\u0041\\/ \\u00e9 \\ud83e\\udda9 line\\u000Abreak\"")
        text = replacingOnce(text, "[\"d\",\"é/\"]", "[\"\\u0064\",\"\\u00E9\\/\"]")
        text = replacingOnce(text, "[\"t\",\"🦩A\"]", "[\"t\",\"\\uD83E\\uDDA9\\u0041\"]")
        #expect(!text.contains("é"))
        #expect(try F.verifierId(text) == e.id)
        let parsed = try F.parseAndVerify(text)
        #expect(parsed == e)
        #expect(parsed.content == content)
        #expect(parsed.tags == tags)
    }

    // MARK: Tampering

    static let tampers: [Tamper] = [
        Tamper(name: "content byte", expected: .idMismatch) { replacingOnce($0, "hello world", "hello worle") },
        Tamper(name: "tag value", expected: .idMismatch) { replacingOnce($0, "\"name\"", "\"namf\"") },
        Tamper(name: "tag name", expected: .idMismatch) { replacingOnce($0, "[\"a\",", "[\"b\",") },
        Tamper(name: "tag removed", expected: .idMismatch) { replacingOnce($0, ",[\"a\",\"value\"]", "") },
        Tamper(name: "kind", expected: .idMismatch) { replacingOnce($0, "\"kind\":30053", "\"kind\":30054") },
        Tamper(name: "created_at", expected: .idMismatch) {
            replacingOnce($0, "\"created_at\":1700000000", "\"created_at\":1700000001")
        },
        Tamper(name: "id hex digit", expected: .idMismatch) { text in
            let id = EventFixtures.baseEvent.id.hex
            return replacingOnce(text, "\"id\":\"\(id)\"", "\"id\":\"\(flipFirstHexDigit(id))\"")
        },
        Tamper(name: "sig hex digit", expected: .badSignature) { text in
            let sig = EventFixtures.baseEvent.sig.hex
            var chars = Array(sig)
            chars[100] = chars[100] == "0" ? "1" : "0"
            return replacingOnce(text, "\"sig\":\"\(sig)\"", "\"sig\":\"\(String(chars))\"")
        },
        Tamper(name: "sig from another event", expected: .badSignature) { text in
            let sig = EventFixtures.baseEvent.sig.hex
            let other = EventFixtures.sign(tags: [], content: "other").sig.hex
            return replacingOnce(text, "\"sig\":\"\(sig)\"", "\"sig\":\"\(other)\"")
        },
        Tamper(name: "pubkey of another key", expected: .idMismatch) { text in
            let other = try! EventFixtures.context.publicKey(of: EventFixtures.secret7).hex
            return replacingOnce(text, "\"pubkey\":\"\(EventFixtures.pubkey3Hex)\"", "\"pubkey\":\"\(other)\"")
        },
    ]

    @Test(arguments: tampers)
    func tamperingAnyFieldIsRefused(_ t: Tamper) throws {
        let original = F.baseJSON
        #expect(try F.verifierId(original) == F.baseEvent.id)
        let text = t.change(original)
        #expect(text != original)
        #expect(errorCode { _ = try F.verifierId(text) } == t.expected)
        let parsed = try Event(json: Array(text.utf8))  // still well-formed
        #expect(errorCode { try parsed.verify(context: F.context) } == t.expected)
    }

    // MARK: Malformed events

    static let malformed: [MalformedEvent] = {
        var cases: [MalformedEvent] = []
        for key in ["id", "pubkey", "created_at", "kind", "tags", "content", "sig"] {
            cases.append(MalformedEvent(name: "missing \(key)", json: without(key), expected: .eventShape))
        }
        let members = baseMembers()
        let id = members[0].1
        let sig = members[6].1
        let idHex = String(id.dropFirst().dropLast())
        let escapedId = "\"\\u00" + String(idHex.first!.asciiValue!, radix: 16) + idHex.dropFirst() + "\""
        cases += [
            MalformedEvent(name: "duplicate content", json: object(members + [("content", "\"hello world\"")]), expected: .eventShape),
            MalformedEvent(name: "duplicate id", json: object(members + [("id", id)]), expected: .eventShape),
            // A key written with escapes still names the field for any other JSON reader
            // (JSON.parse keeps the last duplicate), so it must count as a duplicate.
            MalformedEvent(
                name: "duplicate content under an escaped key",
                json: object(members + [("\\u0063ontent", "\"evil\"")]), expected: .eventShape),
            MalformedEvent(name: "uppercase hex id", json: replacing("id", with: id.uppercased()), expected: .eventField),
            MalformedEvent(name: "short sig", json: replacing("sig", with: "\"" + sig.dropFirst(3)), expected: .eventField),
            MalformedEvent(name: "id with an escape", json: replacing("id", with: escapedId), expected: .eventField),
            MalformedEvent(name: "id a number", json: replacing("id", with: "1"), expected: .eventField),
            MalformedEvent(name: "kind 70000", json: replacing("kind", with: "70000"), expected: .eventField),
            MalformedEvent(name: "kind -1", json: replacing("kind", with: "-1"), expected: .eventField),
            MalformedEvent(name: "kind a string", json: replacing("kind", with: "\"1\""), expected: .eventField),
            MalformedEvent(name: "negative created_at", json: replacing("created_at", with: "-1700000000"), expected: .eventField),
            MalformedEvent(name: "created_at 1.5", json: replacing("created_at", with: "1.5"), expected: .eventField),
            MalformedEvent(name: "created_at 1e9", json: replacing("created_at", with: "1e9"), expected: .eventField),
            MalformedEvent(name: "tags not an array", json: replacing("tags", with: "{}"), expected: .eventField),
            MalformedEvent(name: "tags [\"a\"]", json: replacing("tags", with: "[\"a\"]"), expected: .eventField),
            MalformedEvent(name: "tag item a number", json: replacing("tags", with: "[[\"d\",1]]"), expected: .eventField),
            MalformedEvent(name: "tag item null", json: replacing("tags", with: "[[\"d\",null]]"), expected: .eventField),
            MalformedEvent(name: "content a number", json: replacing("content", with: "1"), expected: .eventField),
            MalformedEvent(name: "content null", json: replacing("content", with: "null"), expected: .eventField),
            MalformedEvent(name: "top-level array", json: "[" + object(members) + "]", expected: .eventShape),
            MalformedEvent(name: "top-level string", json: "\"event\"", expected: .eventShape),
        ]
        return cases
    }()

    @Test(arguments: malformed)
    func malformedEventsAreRefused(_ m: MalformedEvent) {
        #expect(errorCode { _ = try Event(json: Array(m.json.utf8)) } == m.expected, "Event(json:)")
        #expect(errorCode { _ = try F.verifierId(m.json) } == m.expected, "EventVerifier")
    }

    @Test func fixturesOfMalformedCasesStartFromAValidEvent() throws {
        let text = object(baseMembers())
        #expect(try F.verifierId(text) == F.baseEvent.id)
        #expect(try F.parseAndVerify(text) == F.baseEvent)
    }

    @Test func unknownMembersAreIgnored() throws {
        let members = baseMembers()
        let withExtras = object([("extra", "{\"x\":[1,2,{\"id\":\"nope\"}]}")] + members + [("Content", "\"other\""), ("\\u0078", "1")])
        #expect(try F.verifierId(withExtras) == F.baseEvent.id)
        #expect(try F.parseAndVerify(withExtras) == F.baseEvent)
    }

    @Test func malformedJSONIsRefused() {
        for text in ["", "{", "{\"id\":}", object(baseMembers()) + "x"] {
            #expect(errorCode { _ = try Event(json: Array(text.utf8)) } != nil, "\(text)")
            #expect(errorCode { _ = try F.verifierId(text) } != nil, "\(text)")
        }
    }
}
