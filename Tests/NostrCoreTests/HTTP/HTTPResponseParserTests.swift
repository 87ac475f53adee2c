import NostrCore
import Testing

/// The strict HTTP/1.1 response reader of `fetch` (RFC 9112): framing by
/// Content-Length, chunked and close, and the attacks a malicious server
/// (or a smuggling middlebox) would try.
struct HTTPResponseParserTests {
    /// Feeds `text` in pieces of `step` bytes (0: at once), then EOF if `eof`.
    func parse(
        _ text: String, step: Int = 0, eof: Bool = false, limits: HTTPLimits = HTTPLimits(),
        head: Bool = false
    ) throws(NostrError) -> HTTPResponse? {
        var parser = HTTPResponseParser(limits: limits, requestWasHead: head)
        let bytes = Array(text.utf8)
        if step == 0 {
            _ = try parser.feed(bytes)
        } else {
            var i = 0
            while i < bytes.count {
                _ = try parser.feed(Array(bytes[i..<min(bytes.count, i + step)]))
                i += step
            }
        }
        if eof { try parser.finish() }
        return parser.response
    }

    func error(_ text: String, eof: Bool = false, limits: HTTPLimits = HTTPLimits()) -> NostrError? {
        do throws(NostrError) {
            _ = try parse(text, eof: eof, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Framing

    @Test(arguments: [0, 1, 3, 7])
    func contentLengthBodyInAnyPieces(step: Int) throws {
        let r = try #require(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello", step: step))
        #expect(r.status == 200)
        #expect(r.reason == Array("OK".utf8))
        #expect(r.body == Array("hello".utf8))
        #expect(HTTPFields.first(r.fields, "content-type") == Array("text/plain".utf8))
    }

    @Test(arguments: [0, 1, 2, 5])
    func chunkedBodyWithExtensionsAndTrailers(step: Int) throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Check: 1\r\n\r\n"
        let r = try #require(try parse(text, step: step))
        #expect(r.body == Array("hello, world".utf8))
        #expect(HTTPFields.first(r.trailers, "x-check") == Array("1".utf8))
    }

    @Test func chunkSizeIsHexInEitherCase() throws {
        let r = try #require(
            try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\na\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n"))
        #expect(r.body.count == 20)
    }

    @Test func bodyUntilCloseNeedsEOF() throws {
        var parser = HTTPResponseParser()
        #expect(try parser.feed(Array("HTTP/1.0 200 OK\r\n\r\nsome body".utf8)) == false)
        #expect(parser.response == nil)
        #expect(try parser.finish())
        #expect(parser.response?.body == Array("some body".utf8))
        #expect(parser.response?.minorVersion == 0)
    }

    @Test(arguments: [204, 304])
    func noBodyFor204And304(status: Int) throws {
        let r = try #require(try parse("HTTP/1.1 \(status) X\r\nContent-Length: 10\r\n\r\n"))
        #expect(r.body.isEmpty)
    }

    @Test func noBodyAfterHEAD() throws {
        let r = try #require(try parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", head: true))
        #expect(r.status == 200 && r.body.isEmpty)
    }

    @Test func interim100IsSkipped() throws {
        let r = try #require(try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        #expect(r.status == 200 && r.body == Array("ok".utf8))
    }

    @Test func emptyReasonPhraseIsAllowed() throws {
        let r = try #require(try parse("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"))
        #expect(r.status == 404 && r.reason.isEmpty)
        let bare = try #require(try parse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"))
        #expect(bare.status == 404)
    }

    @Test func repeatedEqualContentLengthIsOne() throws {
        let r = try #require(try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"))
        #expect(r.body == Array("ok".utf8))
    }

    // MARK: Attacks: framing (request/response smuggling, RFC 9112 §6.3, §11.2)

    @Test func smugglingContentLengthAndChunkedTogether() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func smugglingConflictingContentLengths() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc")?.code == .httpResponse)
    }

    @Test func smugglingContentLengthList() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nab")?.code == .httpResponse)
    }

    @Test(arguments: ["-1", "+2", "0x10", "2 2", "", "1e3", "99999999999999999999"])
    func contentLengthThatIsNotDigits(value: String) {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length:\(value)\r\n\r\n") != nil)
    }

    @Test(arguments: ["gzip", "gzip, chunked", "chunked, chunked", "xchunked", "chunked;q=1"])
    func transferCodingsOtherThanChunked(value: String) {
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func transferEncodingInHTTP10Response() {
        #expect(error("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func twoTransferEncodingFields() {
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") != nil)
    }

    @Test func bytesAfterTheResponse() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")?.code == .httpResponse)
    }

    @Test func truncatedFixedBodyAtEOF() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", eof: true)?.code == .httpResponse)
    }

    @Test func truncatedChunkedBodyAtEOF() {
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", eof: true)?.code == .httpResponse)
    }

    @Test func truncatedHeadAtEOF() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Le", eof: true)?.code == .httpResponse)
    }

    @Test func unrequestedSwitchingProtocols() {
        #expect(error("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")?.code == .httpResponse)
    }

    // MARK: Attacks: chunk framing

    @Test func chunkSizeOverflowTooManyDigits() {
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000001\r\nx\r\n0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func chunkSizeNegativeOrMissing() {
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n") != nil)
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nx\r\n") != nil)
    }

    @Test func chunkDataLongerThanItsSize() {
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func chunkSizeWithGarbageAfterDigits() {
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func chunkLineEndlessExtension() {
        let ext = String(repeating: "a", count: 1000)
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + ext) != nil)
    }

    // MARK: Attacks: line and field syntax (RFC 9112 §2.2, §5)

    @Test func bareLFLineEnding() {
        #expect(error("HTTP/1.1 200 OK\nContent-Length: 0\n\n")?.code == .httpResponse)
    }

    @Test func bareCRInsideAField() {
        #expect(error("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func whitespaceBeforeTheColon() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func obsFoldContinuationLine() {
        #expect(error("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func nulInAFieldValue() {
        #expect(error("HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\nContent-Length: 0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func fieldNameWithSeparators() {
        #expect(error("HTTP/1.1 200 OK\r\nX(A): b\r\nContent-Length: 0\r\n\r\n")?.code == .httpResponse)
    }

    @Test(arguments: [
        "HTTP/2 200 OK", "HTTP/1.2 200 OK", "http/1.1 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK",
        "HTTP/1.1  200 OK", "HTTP/1.1 099 OK", "HTTP/1.1 600 OK", "ICY 200 OK", "HTTP/1.1 200\tOK",
    ])
    func malformedStatusLine(line: String) {
        #expect(error(line + "\r\nContent-Length: 0\r\n\r\n")?.code == .httpResponse)
    }

    @Test func errorOffsetPointsAtTheBadByte() throws {
        let e = try #require(error("HTTP/1.1 200 OK\r\nX-A: a\u{1}b\r\n\r\n"))
        #expect(e.offset == 23)  // 17 bytes of status line, then "X-A: a"
    }

    // MARK: Attacks: resource exhaustion

    @Test func headLargerThanTheLimit() {
        var limits = HTTPLimits()
        limits.maxHeadBytes = 64
        #expect(error("HTTP/1.1 200 OK\r\nX-Padding: " + String(repeating: "a", count: 100), limits: limits)?.code == .httpTooLarge)
    }

    @Test func tooManyFields() {
        var limits = HTTPLimits()
        limits.maxFields = 3
        #expect(error("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits: limits)?.code == .httpTooLarge)
    }

    @Test func contentLengthAboveTheBodyLimit() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 10
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", limits: limits)?.code == .httpTooLarge)
    }

    @Test func chunksAddingUpAboveTheBodyLimit() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 10
        #expect(error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", limits: limits)?.code == .httpTooLarge)
    }

    @Test func bodyUntilCloseAboveTheLimit() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 10
        #expect(error("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 11), limits: limits)?.code == .httpTooLarge)
    }
}

/// The request head `https-demo` reads (RFC 9112 §3).
struct HTTPRequestHeadTests {
    @Test func getWithFields() throws {
        let (head, length) = try #require(try HTTPRequestHead.parse(Array("GET /a?b HTTP/1.1\r\nHost: x\r\n\r\nrest".utf8)))
        #expect(head.method == Array("GET".utf8))
        #expect(head.target == Array("/a?b".utf8))
        #expect(head.path == Array("/a".utf8))
        #expect(head.minorVersion == 1)
        #expect(length == 30)
        #expect(!head.announcesBody)
    }

    @Test func incompleteHeadWaits() throws {
        #expect(try HTTPRequestHead.parse(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)) == nil)
    }

    @Test(arguments: [
        "GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /\u{7f} HTTP/1.1", "G(T / HTTP/1.1", "GET / HTTP/2.0",
        "GET /", " GET / HTTP/1.1", "GET / http/1.1",
    ])
    func malformedRequestLine(line: String) {
        #expect(throws: NostrError.self) { try HTTPRequestHead.parse(Array((line + "\r\n\r\n").utf8)) }
    }

    @Test func bareLFRequest() {
        #expect(throws: NostrError(.httpRequest, at: 14)) { try HTTPRequestHead.parse(Array("GET / HTTP/1.1\n\n".utf8)) }
    }

    @Test func oversizedHead() {
        let text = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 9000)
        #expect(throws: NostrError(.httpTooLarge, at: HTTPRequestHead.maxBytes)) { try HTTPRequestHead.parse(Array(text.utf8)) }
    }

    @Test func smugglingBodyOnAGet() throws {
        let (head, _) = try #require(try HTTPRequestHead.parse(Array("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)))
        #expect(head.announcesBody)
        let (zero, _) = try #require(try HTTPRequestHead.parse(Array("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n".utf8)))
        #expect(!zero.announcesBody)
    }
}

/// Fuzzing in the small: seeded random mutations and random splits of valid
/// messages. Whatever the bytes, the parsers never trap, never return a body
/// over the limit, and a message parsed in pieces equals the message parsed
/// whole.
struct HTTPParserMutationTests {
    /// xorshift64*, seeded: the same cases on every run.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let seeds: [[UInt8]] = [
        Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello".utf8),
        Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n".utf8),
        Array("HTTP/1.0 404 Not Found\r\n\r\nbody until close".utf8),
        Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n".utf8),
    ]

    @Test(arguments: 0..<Self.seeds.count)
    func mutatedResponsesNeverTrapOrExceedTheLimit(seed: Int) {
        var random = Random(state: 0x9E37_79B9_7F4A_7C15 &+ UInt64(seed))
        var limits = HTTPLimits()
        limits.maxBodyBytes = 64
        limits.maxHeadBytes = 128
        for _ in 0..<2000 {
            var bytes = Self.seeds[seed]
            for _ in 0..<(1 + random.below(4)) {
                let i = random.below(bytes.count)
                switch random.below(3) {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: i)
                default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: i)
                }
            }
            var parser = HTTPResponseParser(limits: limits)
            do throws(NostrError) {
                _ = try parser.feed(bytes)
                try parser.finish()
                let response = parser.response
                #expect(response != nil)
                #expect((response?.body.count ?? 0) <= 64)
                #expect((100...599).contains(response?.status ?? 200))
            } catch {
                #expect(error.code == .httpResponse || error.code == .httpTooLarge)
            }
        }
    }

    @Test(arguments: 0..<Self.seeds.count)
    func anySplitGivesTheSameResponse(seed: Int) throws {
        var whole = HTTPResponseParser()
        _ = try whole.feed(Self.seeds[seed])
        try whole.finish()
        let expected = try #require(whole.response)
        var random = Random(state: 42 &+ UInt64(seed))
        for _ in 0..<300 {
            var parser = HTTPResponseParser()
            var i = 0
            let bytes = Self.seeds[seed]
            while i < bytes.count {
                let n = 1 + random.below(9)
                _ = try parser.feed(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
            try parser.finish()
            let r = try #require(parser.response)
            #expect(
                r.status == expected.status && r.body == expected.body && r.fields == expected.fields && r.trailers == expected.trailers)
        }
    }

    @Test func mutatedRequestHeadsNeverTrap() {
        var random = Random(state: 7)
        let seed = Array("GET /index.html?q=1 HTTP/1.1\r\nHost: a.nostr\r\nAccept: */*\r\n\r\n".utf8)
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<(1 + random.below(4)) {
                let i = random.below(bytes.count)
                if random.below(2) == 0 { bytes[i] = UInt8(truncatingIfNeeded: random.next()) } else { bytes.remove(at: i) }
            }
            do throws(NostrError) {
                if let (head, length) = try HTTPRequestHead.parse(bytes) {
                    #expect(length <= bytes.count)
                    #expect(!head.method.isEmpty && !head.target.isEmpty)
                }
            } catch {
                #expect(error.code == .httpRequest || error.code == .httpTooLarge)
            }
        }
    }
}
