import Testing

@testable import NostrCore

/// The WebSocket client (RFC 6455) on well-formed traffic: handshake, the §5.7
/// examples, our own frames, the close handshake.
@Suite struct WebSocketTests {
    // MARK: Opening handshake (§4.1)

    @Test func upgradeRequest() throws {
        let c = WebSocketClient(hostHeader: "relay.example:8080", path: "/chat?x=1", seed: WS.seed(1))
        #expect(c.state == .connecting)
        #expect(c.handshakeStatus == 0)
        let key = WS.requestKey(c.outbound)
        #expect(key.utf8.count == 24)
        #expect(Base64.decode(WS.bytes(key))?.count == 16)
        #expect(
            WS.text(c.outbound) == """
                GET /chat?x=1 HTTP/1.1\r
                Host: relay.example:8080\r
                Upgrade: websocket\r
                Connection: Upgrade\r
                Sec-WebSocket-Key: \(key)\r
                Sec-WebSocket-Version: 13\r
                User-Agent: nostr-dns\r
                \r

                """)
    }

    @Test(arguments: [
        ("", "/"), ("/", "/"), ("?a=b", "/?a=b"), ("x", "/x"), ("/a b", "/a%20b"),
        ("/a\r\nX: y", "/a%0D%0AX:%20y"), ("/#frag", "/%23frag"), ("/é", "/%C3%A9"),
    ])
    func requestTarget(path: String, target: String) {
        let c = WebSocketClient(hostHeader: "h", path: path, seed: WS.seed(1))
        #expect(WS.text(c.outbound).hasPrefix("GET \(target) HTTP/1.1\r\nHost: h\r\n"))
    }

    @Test func hostHeaderCannotInjectLines() {
        let c = WebSocketClient(hostHeader: "[::1]:7777\r\nX-Evil: 1", path: "/", seed: WS.seed(1))
        #expect(WS.text(c.outbound).hasPrefix("GET / HTTP/1.1\r\nHost: [::1]:7777X-Evil:1\r\nUpgrade"))
    }

    @Test func keysDependOnTheSeedOnly() {
        let a = WS.requestKey(WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(1)).outbound)
        let a2 = WS.requestKey(WebSocketClient(hostHeader: "other", path: "/x", seed: WS.seed(1)).outbound)
        let b = WS.requestKey(WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(2)).outbound)
        #expect(a == a2)
        #expect(a != b)
    }

    static let goodResponses: [(String, [String], String)] = [
        ("standard", ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"], "\r\n"),
        ("case and order", ["sec-websocket-accept: {accept}", "CONNECTION: UPGRADE", "upgrade: WebSocket", "Server: x"], "\r\n"),
        (
            "odd whitespace", ["Upgrade:websocket   ", "Connection: \t keep-alive ,  Upgrade\t", "Sec-WebSocket-Accept:   {accept}  "],
            "\r\n"
        ),
        ("folded", ["Upgrade: websocket", "Connection: keep-alive,", " \t upgrade", "Sec-WebSocket-Accept:", "  {accept}"], "\r\n"),
        ("bare LF", ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"], "\n"),
        (
            "two Connection fields",
            ["Upgrade: websocket", "Connection: keep-alive", "Connection: upgrade", "Sec-WebSocket-Accept: {accept}"], "\r\n"
        ),
        (
            "empty extensions and protocol",
            [
                "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Extensions:  ",
                "Sec-WebSocket-Protocol:", "Sec-WebSocket-Accept: {accept}",
            ], "\r\n"
        ),
    ]

    @Test(arguments: goodResponses, Feed.allCases)
    func handshakeAccepted(response: (String, [String], String), feed: Feed) {
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(3))
        let r = WS.run(&c, WS.response(for: c, headers: response.1, newline: response.2), feed)
        #expect(r.error == nil, "\(response.0)")
        #expect(r.events.map(\.0) == [.open], "\(response.0)")
        #expect(c.state == .open)
        #expect(c.handshakeStatus == 101)
    }

    /// §4.1: bytes after the head belong to the first frames.
    @Test(arguments: Feed.allCases)
    func bytesAfterTheHeadAreFrames(feed: Feed) {
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(3))
        let input = WS.response(for: c) + [0x81, 0x05] + WS.bytes("Hello") + [0x89, 0x00]
        let r = WS.run(&c, input, feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.open, .text])
        #expect(r.events.last?.1 == WS.bytes("Hello"))
        // The ping was answered after the upgrade request.
        #expect(WS.text(c.outbound).hasPrefix("GET / HTTP/1.1\r\n"))
        let request = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(3)).outbound
        #expect(WS.clientFrames(Array(c.outbound[request.count...])).map(\.opcode) == [.pong])
    }

    @Test func nothingBeforeTheHeadEnds() throws {
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(3))
        let response = WS.response(for: c)
        try c.receive(Array(response.dropLast()))
        #expect(try c.nextEvent() == nil)
        #expect(c.state == .connecting)
        try c.receive([response.last!])
        #expect(try c.nextEvent() == .open)
        #expect(try c.nextEvent() == nil)
    }

    // MARK: Receiving (§5.7 examples)

    @Test(arguments: Feed.allCases)
    func singleFrameUnmaskedText(feed: Feed) {
        var c = WS.openClient()
        let r = WS.run(&c, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f], feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.text])
        #expect(r.events.first?.1 == WS.bytes("Hello"))
        #expect(c.outbound.isEmpty)
    }

    @Test(arguments: Feed.allCases)
    func fragmentedUnmaskedText(feed: Feed) {
        var c = WS.openClient()
        let r = WS.run(&c, [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f], feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.text])
        #expect(r.events.first?.1 == WS.bytes("Hello"))
    }

    /// A ping is answered with a masked pong carrying the same payload, and raises no event.
    @Test(arguments: Feed.allCases)
    func pingIsAnsweredWithPong(feed: Feed) {
        var c = WS.openClient()
        let r = WS.run(&c, [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f], feed)
        #expect(r.error == nil)
        #expect(r.events.isEmpty)
        let frames = WS.clientFrames(c.outbound)
        #expect(frames.count == 1)
        #expect(frames.first?.opcode == .pong)
        #expect(frames.first?.fin == true)
        #expect(frames.first?.payload == WS.bytes("Hello"))
    }

    @Test(arguments: Feed.allCases)
    func pongIsReported(feed: Feed) {
        var c = WS.openClient()
        let r = WS.run(&c, [0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x8a, 0x00], feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.pong, .pong])
        #expect(r.events.first?.1 == WS.bytes("Hello"))
        #expect(r.events.last?.1 == [])
        #expect(c.outbound.isEmpty)
    }

    /// §5.7: "256 bytes binary message in a single unmasked frame" and "64KiB binary message".
    @Test(
        arguments: [(256, [0x82, 0x7E, 0x01, 0x00]), (65536, [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])] as [(Int, [UInt8])],
        Feed.allCases)
    func binaryLengths(vector: (Int, [UInt8]), feed: Feed) {
        let (count, header) = vector
        var c = WS.openClient()
        let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let r = WS.run(&c, header + payload, feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.binary])
        #expect(r.events.first?.1 == payload)
    }

    @Test(arguments: Feed.allCases)
    func emptyMessagesAndManyInOneRead(feed: Feed) {
        var c = WS.openClient()
        var input: [UInt8] = [0x81, 0x00, 0x82, 0x00, 0x01, 0x00, 0x80, 0x00]
        for i in 0..<50 { input += WS.serverFrame(0x81, WS.bytes("message \(i)")) }
        let r = WS.run(&c, input, feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.text, .binary, .text] + Array(repeating: .text, count: 50))
        #expect(r.events.map(\.1) == [[], [], []] + (0..<50).map { WS.bytes("message \($0)") })
    }

    /// §5.4: control frames may be injected between the fragments of a message.
    @Test(arguments: Feed.allCases)
    func controlFramesBetweenFragments(feed: Feed) {
        var c = WS.openClient()
        let input: [UInt8] =
            [0x01, 0x03] + WS.bytes("Hel") + [0x89, 0x02] + WS.bytes("pi")
            + [0x8A, 0x02] + WS.bytes("po") + [0x00, 0x01] + WS.bytes("l") + [0x80, 0x01] + WS.bytes("o")
        let r = WS.run(&c, input, feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.pong, .text])
        #expect(r.events.map(\.1) == [WS.bytes("po"), WS.bytes("Hello")])
        let frames = WS.clientFrames(c.outbound)
        #expect(frames.map(\.opcode) == [.pong])
        #expect(frames.first?.payload == WS.bytes("pi"))
    }

    @Test func messageLimitIsInclusive() {
        var c = WS.openClient(limits: WebSocketLimits(maxMessageBytes: 1000))
        let a = [UInt8](repeating: 0x61, count: 600), b = [UInt8](repeating: 0x62, count: 400)
        let r = WS.run(&c, WS.serverFrame(0x02, a) + WS.serverFrame(0x80, b), .whole)
        #expect(r.error == nil)
        #expect(r.events.first?.1 == a + b)
    }

    /// §8.1: a code point split across fragments is fine; validity is of the whole message.
    @Test(arguments: Feed.allCases)
    func utf8SplitAcrossFragments(feed: Feed) {
        var c = WS.openClient()
        let r = WS.run(&c, [0x01, 0x02, 0x41, 0xE2, 0x00, 0x01, 0x82, 0x80, 0x01, 0xAC], feed)
        #expect(r.error == nil)
        #expect(r.events.first?.1 == WS.bytes("A€"))
    }

    // MARK: Sending (§5.2, §5.3)

    @Test func sentTextIsOneMaskedFinFrame() throws {
        var c = WS.openClient()
        try WS.bytes("Hello").withBytes { (p) throws(NostrError) in try c.sendText(p) }
        let raw = c.outbound
        #expect(raw.count == 2 + 4 + 5)
        #expect(raw[0] == 0x81 && raw[1] == 0x85)
        #expect(Array(raw[6...]) != WS.bytes("Hello"))
        let frames = WS.clientFrames(raw)
        #expect(
            frames == [SentFrame(fin: true, opcode: .text, maskKey: frames.first?.maskKey, payload: WS.bytes("Hello"), headerLength: 6)])
    }

    @Test(arguments: [0, 1, 125, 126, 0xFFFF, 0x10000, 70000])
    func sentLengthsAreMinimal(count: Int) throws {
        var c = WS.openClient()
        let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try payload.withBytes { (p) throws(NostrError) in try c.sendBinary(p) }
        let frames = WS.clientFrames(c.outbound)
        #expect(frames.count == 1)
        #expect(frames.first?.payload == payload)
        #expect(frames.first?.headerLength == (count <= 125 ? 6 : count <= 0xFFFF ? 8 : 14))
    }

    @Test func maskKeysDifferBetweenFramesAndClients() throws {
        var a = WS.openClient(seed: 1), b = WS.openClient(seed: 2)
        for i in 0..<40 {
            try WS.bytes("m\(i)").withBytes { (p) throws(NostrError) in
                try a.sendText(p); try b.sendText(p)
            }
        }
        try [1, 2, 3].withBytes { (p) throws(NostrError) in try a.sendPing(p) }
        let ka = WS.clientFrames(a.outbound).compactMap(\.maskKey)
        let kb = WS.clientFrames(b.outbound).compactMap(\.maskKey)
        #expect(ka.count == 41 && kb.count == 40)
        #expect(Set(ka).count == 41)
        #expect(Set(kb).count == 40)
        #expect(Set(ka).isDisjoint(with: kb))
        #expect(WS.clientFrames(a.outbound).last?.payload == [1, 2, 3])
    }

    @Test func consumeOutboundKeepsTheRest() throws {
        var c = WS.openClient()
        try WS.bytes("abc").withBytes { (p) throws(NostrError) in try c.sendText(p) }
        let all = c.outbound
        c.consumeOutbound(4)
        #expect(c.outbound == Array(all[4...]))
        c.consumeOutbound(0)
        #expect(c.outbound.count == all.count - 4)
        c.consumeOutbound(c.outbound.count)
        #expect(c.outbound.isEmpty)
    }

    @Test func sendingRules() throws {
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(1))
        #expect(throws: NostrError(.wsClosed)) { try WS.bytes("x").withBytes { (p) throws(NostrError) in try c.sendText(p) } }
        c = WS.openClient()
        #expect(throws: NostrError(.wsTooLarge)) {
            try [UInt8](repeating: 0, count: 126).withBytes { (p) throws(NostrError) in try c.sendPing(p) }
        }
        #expect(throws: NostrError(.wsBadUTF8, at: 1)) { try [0x41, 0xC0, 0x80].withBytes { (p) throws(NostrError) in try c.sendText(p) } }
        #expect(c.outbound.isEmpty)
        #expect(c.state == .open)
    }

    // MARK: Closing (§5.5.1, §7)

    @Test(arguments: Feed.allCases)
    func serverInitiatedClose(feed: Feed) throws {
        var c = WS.openClient()
        let r = WS.run(&c, WS.serverFrame(0x88, WS.closePayload(1001, WS.bytes("going away"))) + [0x81, 0x00], feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.closed(code: 1001)])
        #expect(r.events.first?.1 == WS.bytes("going away"))
        #expect(c.state == .closed)
        // We echo the code.
        let frames = WS.clientFrames(c.outbound)
        #expect(frames.map(\.opcode) == [.close])
        #expect(frames.first?.payload == WS.closePayload(1001))
        #expect(throws: NostrError(.wsClosed)) { try c.receive([0x81, 0x00]) }
        #expect(throws: NostrError(.wsClosed)) { try WS.bytes("x").withBytes { (p) throws(NostrError) in try c.sendText(p) } }
        #expect(try c.nextEvent() == nil)
    }

    @Test(arguments: Feed.allCases)
    func closeWithoutCode(feed: Feed) {
        var c = WS.openClient()
        let r = WS.run(&c, [0x88, 0x00], feed)
        #expect(r.events.map(\.0) == [.closed(code: 1005)])
        #expect(r.events.first?.1 == [])
        // 1005 may not be sent: the reply has no body (§7.4.1).
        #expect(WS.clientFrames(c.outbound).map(\.payload) == [[]])
    }

    @Test(arguments: Feed.allCases)
    func clientInitiatedClose(feed: Feed) {
        var c = WS.openClient()
        c.close()
        #expect(c.state == .closing)
        #expect(WS.clientFrames(c.outbound).map(\.payload) == [WS.closePayload(1000)])
        c.consumeOutbound(c.outbound.count)
        c.close(code: 1001)  // no second close frame
        #expect(c.outbound.isEmpty)
        #expect(throws: NostrError(.wsClosed)) { try WS.bytes("x").withBytes { (p) throws(NostrError) in try c.sendText(p) } }
        // Data still in flight is delivered; pings are not answered any more; the close answer ends it.
        let input = WS.serverFrame(0x81, WS.bytes("late")) + [0x89, 0x00] + WS.serverFrame(0x88, WS.closePayload(1000))
        let r = WS.run(&c, input, feed)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.text, .closed(code: 1000)])
        #expect(c.state == .closed)
        #expect(c.outbound.isEmpty)
    }

    @Test func closeWhileConnectingGivesUp() {
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(1))
        c.close()
        #expect(c.state == .closed)
        #expect(c.outbound.isEmpty)
    }

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999] as [UInt16])
    func validCloseCodesAreEchoed(code: UInt16) {
        var c = WS.openClient()
        let r = WS.run(&c, WS.serverFrame(0x88, WS.closePayload(code)), .whole)
        #expect(r.error == nil)
        #expect(r.events.map(\.0) == [.closed(code: code)])
        #expect(WS.clientFrames(c.outbound).map(\.payload) == [WS.closePayload(code)])
    }

    /// Steady state reuses the buffers: the same capacity after many messages.
    @Test func buffersAreReused() {
        var c = WS.openClient()
        var frame: [UInt8] = []
        for i in 0..<4 { frame += WS.serverFrame(0x82, [UInt8](repeating: UInt8(i), count: 3000)) }
        _ = WS.run(&c, frame, .whole)
        let capacity = c.message.capacity
        for _ in 0..<20 {
            let r = WS.run(&c, frame, .whole)
            #expect(r.events.count == 4)
            #expect(c.message.capacity == capacity)
        }
    }
}
