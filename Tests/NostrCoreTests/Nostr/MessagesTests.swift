import Testing

@testable import NostrCore

/// A message text that must be refused, with the code expected.
struct BadMessage: CustomTestStringConvertible, Sendable {
    let json: String
    let expected: NostrError.Code?  // nil: any NostrError
    var testDescription: String { json }
}

@Suite struct MessagesTests {
    typealias F = EventFixtures

    static let pubkey = try! Hex.decode32(EventFixtures.pubkey3Hex)
    static let idHex = String(repeating: "ab", count: 32)
    static let d = UInt8(ascii: "d")

    static func parseRelay(_ text: String) throws(NostrError) -> RelayMessage {
        var reader = JSONReader()
        return try RelayMessage(json: Array(text.utf8), reader: &reader)
    }

    static func parseClient(_ text: String) throws(NostrError) -> ClientMessage {
        var reader = JSONReader()
        return try ClientMessage(json: Array(text.utf8), reader: &reader)
    }

    static func parseFilter(_ text: String) throws(NostrError) -> Filter {
        var reader = JSONReader()
        return try Filter(json: Array(text.utf8), reader: &reader)
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Round trips

    @Test func clientMessagesRoundTrip() throws {
        let e = F.sign(tags: [["d", "x"]], content: "c \"q\" é")
        let filters = [
            Filter(authors: [Self.pubkey], kinds: [30053], tagQueries: [.init(letter: Self.d, values: ["", "a\"b"])]),
            Filter(ids: [e.id], since: 1, until: 2, limit: 3),
            Filter(),
        ]
        let messages: [ClientMessage] = [
            .event(e),
            .req(subscriptionId: "sub-1", filters: filters),
            .req(subscriptionId: "s", filters: [Filter(kinds: [1])]),
            .close(subscriptionId: "sub \"1\""),
            .auth(e),
        ]
        var reader = JSONReader()
        for m in messages {
            let back = try ClientMessage(json: m.json, reader: &reader)
            #expect(back == m, "\(Self.text(m.json))")
        }
    }

    @Test func relayMessagesRoundTrip() throws {
        let e = F.sign(tags: [], content: "hi")
        let messages: [RelayMessage] = [
            .event(subscriptionId: "sub", event: e),
            .ok(eventId: e.id, accepted: true, message: ""),
            .ok(eventId: e.id, accepted: false, message: "blocked: x"),
            .eose(subscriptionId: "sub"),
            .closed(subscriptionId: "sub", message: "error: x"),
            .closed(subscriptionId: "sub", message: ""),
            .notice("x\n\u{1}"),
            .auth(challenge: "challenge"),
        ]
        var reader = JSONReader()
        for m in messages {
            let back = try RelayMessage(json: m.json, reader: &reader)
            #expect(back == m, "\(Self.text(m.json))")
        }
    }

    @Test func writtenForms() {
        let e = F.sign(tags: [], content: "hi")
        let ej = Self.text(e.json)
        #expect(Self.text(RelayMessage.ok(eventId: e.id, accepted: true, message: "").json) == "[\"OK\",\"\(e.id.hex)\",true,\"\"]")
        #expect(Self.text(RelayMessage.eose(subscriptionId: "s").json) == "[\"EOSE\",\"s\"]")
        #expect(Self.text(RelayMessage.event(subscriptionId: "s", event: e).json) == "[\"EVENT\",\"s\",\(ej)]")
        #expect(Self.text(ClientMessage.event(e).json) == "[\"EVENT\",\(ej)]")
        #expect(Self.text(ClientMessage.auth(e).json) == "[\"AUTH\",\(ej)]")
        #expect(Self.text(ClientMessage.close(subscriptionId: "s").json) == "[\"CLOSE\",\"s\"]")
        #expect(Self.text(ClientMessage.req(subscriptionId: "s", filters: [Filter(kinds: [1])]).json) == "[\"REQ\",\"s\",{\"kinds\":[1]}]")
    }

    // MARK: Real-world forms

    @Test func parsesRealWorldRelayMessages() throws {
        let id = try Hex.decode32(Self.idHex)
        #expect(try Self.parseRelay("[\"OK\",\"\(Self.idHex)\",true,\"\"]") == .ok(eventId: id, accepted: true, message: ""))
        #expect(try Self.parseRelay("[\"OK\",\"\(Self.idHex)\",true]") == .ok(eventId: id, accepted: true, message: ""))
        #expect(
            try Self.parseRelay("[\"OK\", \"\(Self.idHex)\", false, \"blocked: x\"]")
                == .ok(eventId: id, accepted: false, message: "blocked: x"))
        #expect(try Self.parseRelay("[\"EOSE\",\"sub\"]") == .eose(subscriptionId: "sub"))
        #expect(try Self.parseRelay("[\"CLOSED\",\"sub\",\"error: x\"]") == .closed(subscriptionId: "sub", message: "error: x"))
        #expect(try Self.parseRelay("[\"NOTICE\",\"x\"]") == .notice("x"))
        #expect(try Self.parseRelay("[\"AUTH\",\"challenge\"]") == .auth(challenge: "challenge"))
        let e = F.baseEvent
        let text = " [ \"EVENT\" , \"sub\" , \(F.baseJSON) ] \n"
        #expect(try Self.parseRelay(text) == .event(subscriptionId: "sub", event: e))
    }

    @Test func parsesRealWorldClientMessages() throws {
        let req = try Self.parseClient("[\"REQ\",\"s\",{\"kinds\":[1]},{\"authors\":[\"\(F.pubkey3Hex)\"]}]")
        #expect(req == .req(subscriptionId: "s", filters: [Filter(kinds: [1]), Filter(authors: [Self.pubkey])]))
        #expect(try Self.parseClient("[\"CLOSE\",\"s\"]") == .close(subscriptionId: "s"))
        #expect(try Self.parseClient("[\"EVENT\",\(F.baseJSON)]") == .event(F.baseEvent))
        #expect(try Self.parseClient("[\"AUTH\",\(F.baseJSON)]") == .auth(F.baseEvent))
    }

    /// The event inside a relay EVENT is only shape-checked: a forged one parses,
    /// and `verify` is what refuses it.
    @Test func relayEventIsNotVerifiedByParsing() throws {
        let forged = replacingOnce(F.baseJSON, "hello world", "hello forge")
        guard case .event(_, let e) = try Self.parseRelay("[\"EVENT\",\"s\",\(forged)]") else {
            Issue.record("not an EVENT")
            return
        }
        #expect(errorCode { try e.verify(context: F.context) } == .idMismatch)
    }

    // MARK: Malformed

    static let badRelay: [BadMessage] = [
        BadMessage(json: "[]", expected: .messageShape),
        BadMessage(json: "[1]", expected: .messageShape),
        BadMessage(json: "{}", expected: .messageShape),
        BadMessage(json: "\"OK\"", expected: .messageShape),
        BadMessage(json: "[\"EVENT\"]", expected: .messageShape),
        BadMessage(json: "[\"EVENT\",\"sub\"]", expected: .messageShape),
        BadMessage(json: "[\"EVENT\",\"sub\",{}]", expected: .eventShape),
        BadMessage(json: "[\"OK\",\"zz\",true,\"\"]", expected: .messageShape),
        BadMessage(json: "[\"OK\",\"\(idHex)\",\"true\",\"\"]", expected: .messageShape),
        BadMessage(json: "[\"OK\",\"\(idHex)\",true,1]", expected: .messageShape),
        BadMessage(json: "[\"OK\",\"\(idHex)\"]", expected: .messageShape),
        BadMessage(json: "[\"EOSE\"]", expected: .messageShape),
        BadMessage(json: "[\"EOSE\",1]", expected: .messageShape),
        BadMessage(json: "[\"NOTICE\"]", expected: .messageShape),
        BadMessage(json: "[\"AUTH\"]", expected: .messageShape),
        BadMessage(json: "[\"FOO\"]", expected: .unknownMessage),
        BadMessage(json: "[\"REQ\",\"s\",{}]", expected: .unknownMessage),
        BadMessage(json: "[\"ok\",\"\(idHex)\",true,\"\"]", expected: .unknownMessage),
        BadMessage(json: "[\"EOSE\",\"s\"", expected: .jsonSyntax),
    ]

    static let badClient: [BadMessage] = [
        BadMessage(json: "[]", expected: .messageShape),
        BadMessage(json: "[1]", expected: .messageShape),
        BadMessage(json: "{}", expected: .messageShape),
        BadMessage(json: "[\"EVENT\"]", expected: .messageShape),
        BadMessage(json: "[\"EVENT\",\"sub\",{}]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\"]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",1,{}]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\",[]]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\",{\"bogus\":1}]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\",{\"kinds\":[-1]}]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\",{\"since\":1.5}]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\",{\"#dd\":[\"x\"]}]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\",{\"#d\":[1]}]", expected: .messageShape),
        BadMessage(json: "[\"REQ\",\"s\",{\"authors\":[\"zz\"]}]", expected: .messageShape),
        BadMessage(json: "[\"CLOSE\"]", expected: .messageShape),
        BadMessage(json: "[\"CLOSE\",\"s\",\"t\"]", expected: .messageShape),
        BadMessage(json: "[\"FOO\"]", expected: .unknownMessage),
        BadMessage(json: "[\"OK\",\"\(idHex)\",true,\"\"]", expected: .unknownMessage),
    ]

    @Test(arguments: badRelay)
    func malformedRelayMessagesAreRefused(_ m: BadMessage) {
        let code = errorCode { _ = try Self.parseRelay(m.json) }
        #expect(code != nil)
        if let expected = m.expected { #expect(code == expected) }
    }

    @Test(arguments: badClient)
    func malformedClientMessagesAreRefused(_ m: BadMessage) {
        let code = errorCode { _ = try Self.parseClient(m.json) }
        #expect(code != nil)
        if let expected = m.expected { #expect(code == expected) }
    }

    // MARK: Filters

    @Test func filterWriteIsExact() {
        let f = Filter(authors: [Self.pubkey], kinds: [30053], tagQueries: [.init(letter: Self.d, values: [""])])
        #expect(Self.text(f.json) == "{\"authors\":[\"\(F.pubkey3Hex)\"],\"kinds\":[30053],\"#d\":[\"\"]}")
        #expect(Self.text(Filter().json) == "{}")
        let id = try! Hex.decode32(Self.idHex)
        let full = Filter(
            ids: [id], authors: [Self.pubkey, id], kinds: [0, 1],
            tagQueries: [.init(letter: Self.d, values: ["a", "b"]), .init(letter: UInt8(ascii: "e"), values: [])],
            since: 10, until: 20, limit: 5)
        #expect(
            Self.text(full.json)
                == "{\"ids\":[\"\(Self.idHex)\"],\"authors\":[\"\(F.pubkey3Hex)\",\"\(Self.idHex)\"],\"kinds\":[0,1],\"#d\":[\"a\",\"b\"],\"#e\":[],\"since\":10,\"until\":20,\"limit\":5}"
        )
        #expect(try! Self.parseFilter(Self.text(full.json)) == full)
    }

    @Test func filterParse() throws {
        let f = try Self.parseFilter(
            "{\"#d\":[\"\",\"x\"],\"since\":1700000000,\"until\":1800000000,\"limit\":1,\"kinds\":[30053],\"authors\":[\"\(F.pubkey3Hex)\"]}"
        )
        #expect(f.tagQueries == [.init(letter: Self.d, values: ["", "x"])])
        #expect(f.since == 1_700_000_000)
        #expect(f.until == 1_800_000_000)
        #expect(f.limit == 1)
        #expect(f.kinds == [30053])
        #expect(f.authors == [Self.pubkey])
        #expect(f.ids == nil)
        #expect(try Self.parseFilter("{}") == Filter())
    }

    @Test func filterMatches() {
        let e = F.sign(tags: [["d", "name"], ["p", "x"]], content: "")  // secret 3, kind 30053, created 1700000000
        let other = try! F.context.publicKey(of: F.secret7)
        let d = Self.d
        #expect(Filter().matches(e))
        #expect(Filter(ids: [e.id]).matches(e))
        #expect(!Filter(ids: [Bytes32.zero]).matches(e))
        #expect(Filter(authors: [other, Self.pubkey]).matches(e))
        #expect(!Filter(authors: [other]).matches(e))
        #expect(!Filter(authors: []).matches(e))
        #expect(Filter(kinds: [1, 30053]).matches(e))
        #expect(!Filter(kinds: [30054]).matches(e))
        #expect(Filter(tagQueries: [.init(letter: d, values: ["name"])]).matches(e))
        #expect(Filter(tagQueries: [.init(letter: d, values: ["other", "name"])]).matches(e))
        #expect(!Filter(tagQueries: [.init(letter: d, values: ["nam"])]).matches(e))
        #expect(!Filter(tagQueries: [.init(letter: d, values: [""])]).matches(e))
        #expect(!Filter(tagQueries: [.init(letter: UInt8(ascii: "e"), values: ["name"])]).matches(e))
        #expect(!Filter(tagQueries: [.init(letter: d, values: ["name"]), .init(letter: UInt8(ascii: "p"), values: ["y"])]).matches(e))
        #expect(Filter(tagQueries: [.init(letter: d, values: ["name"]), .init(letter: UInt8(ascii: "p"), values: ["x"])]).matches(e))
        #expect(Filter(since: 1_700_000_000).matches(e))
        #expect(!Filter(since: 1_700_000_001).matches(e))
        #expect(Filter(until: 1_700_000_000).matches(e))
        #expect(!Filter(until: 1_699_999_999).matches(e))
        #expect(Filter(since: 1_699_999_999, until: 1_700_000_001).matches(e))
        #expect(Filter(authors: [Self.pubkey], kinds: [30053], tagQueries: [.init(letter: d, values: ["name"])], limit: 1).matches(e))
        #expect(!Filter(authors: [Self.pubkey], kinds: [1], tagQueries: [.init(letter: d, values: ["name"])]).matches(e))
        // A d tag with an empty value matches `#d: [""]`; a bare ["d"] tag has no value.
        let empty = F.sign(tags: [["d"], ["d", ""]], content: "")
        #expect(Filter(tagQueries: [.init(letter: d, values: [""])]).matches(empty))
        let bare = F.sign(tags: [["d"]], content: "")
        #expect(!Filter(tagQueries: [.init(letter: d, values: [""])]).matches(bare))
        // Only single-letter tag names count.
        let long = F.sign(tags: [["dd", "name"]], content: "")
        #expect(!Filter(tagQueries: [.init(letter: d, values: ["name"])]).matches(long))
    }

    /// NIP-01 tag values match byte for byte: "é" precomposed (U+00E9) and
    /// decomposed (e + U+0301) are equal as Swift Strings but not as tags.
    @Test func tagValuesMatchByteForByteNotByUnicodeEquivalence() {
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(precomposed == decomposed)  // Swift String equality
        let e = F.sign(tags: [["d", precomposed]], content: "")
        #expect(Filter(tagQueries: [.init(letter: Self.d, values: [precomposed])]).matches(e))
        #expect(!Filter(tagQueries: [.init(letter: Self.d, values: [decomposed])]).matches(e))
        #expect(e.firstTagValue("d") == precomposed)
        let f = F.sign(tags: [["caf\u{E9}", "x"]], content: "")
        #expect(f.firstTagValue(decomposed) == nil)
    }
}
