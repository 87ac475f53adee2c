import Testing

@testable import NostrCore

/// Hostile or broken servers. Each input is fed whole and one byte at a time;
/// both must fail with the same error, leave the client closed, and queue the
/// close frame with the matching status code (§7.4.1) — or nothing, when the
/// opening handshake failed.
@Suite struct WebSocketAttackTests {
    /// Runs `input` against an open client and checks the failure.
    static func expectFailure(
        _ input: [UInt8], _ code: NostrError.Code, closeCode: UInt16?, feed: Feed,
        limits: WebSocketLimits = WebSocketLimits(), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var c = WS.openClient(limits: limits)
        let r = WS.run(&c, input, feed)
        #expect(r.error?.code == code, sourceLocation: sourceLocation)
        #expect(c.state == .closed, sourceLocation: sourceLocation)
        let frames = WS.clientFrames(c.outbound)
        if let closeCode {
            #expect(frames.last?.opcode == .close, sourceLocation: sourceLocation)
            #expect(frames.last?.payload == WS.closePayload(closeCode), sourceLocation: sourceLocation)
        } else {
            #expect(frames.isEmpty, sourceLocation: sourceLocation)
        }
        // Nothing more comes out of a failed client.
        #expect(Result { () throws(NostrError) in try c.nextEvent() } == .success(nil), sourceLocation: sourceLocation)
        #expect(throws: NostrError(.wsClosed), sourceLocation: sourceLocation) { try c.receive([0x81, 0x00]) }
    }

    // MARK: Frames (§5)

    @Test(arguments: Feed.allCases)
    func maskedServerFrame(feed: Feed) {
        // §5.1: "A client MUST close a connection if it detects a masked frame."
        Self.expectFailure([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58], .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: [0xC1, 0xA1, 0x91, 0xF1] as [UInt8], Feed.allCases)
    func reservedBitsSet(first: UInt8, feed: Feed) {
        Self.expectFailure([first, 0x05] + WS.bytes("Hello"), .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: [0x83, 0x84, 0x85, 0x86, 0x87, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F] as [UInt8], Feed.allCases)
    func unknownOpcode(first: UInt8, feed: Feed) {
        Self.expectFailure([first, 0x00], .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: [0x08, 0x09, 0x0A] as [UInt8], Feed.allCases)
    func fragmentedControlFrame(first: UInt8, feed: Feed) {
        // §5.5: "All control frames ... MUST NOT be fragmented."
        Self.expectFailure([0x01, 0x01, 0x41, first, 0x00, 0x80, 0x00], .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: [0x88, 0x89, 0x8A] as [UInt8], Feed.allCases)
    func oversizedControlFrame(first: UInt8, feed: Feed) {
        // §5.5: control payloads are at most 125 bytes; 126 in the 16-bit form, and 126 in 7 bits.
        Self.expectFailure([first, 0x7E, 0x00, 0x7E] + [UInt8](repeating: 0x41, count: 126), .wsProtocol, closeCode: 1002, feed: feed)
        Self.expectFailure([first, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x01], .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: Feed.allCases)
    func continuationWithoutStart(feed: Feed) {
        Self.expectFailure([0x80, 0x01, 0x41], .wsProtocol, closeCode: 1002, feed: feed)
        // Also right after a complete message.
        Self.expectFailure([0x81, 0x01, 0x41, 0x00, 0x01, 0x41], .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: [0x81, 0x01, 0x82, 0x02] as [UInt8], Feed.allCases)
    func interleavedDataFrames(second: UInt8, feed: Feed) {
        // §5.4: fragments of one message are not interleaved with another message.
        Self.expectFailure([0x01, 0x03] + WS.bytes("Hel") + [second, 0x02] + WS.bytes("lo"), .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: Feed.allCases)
    func lengthHighBitSet(feed: Feed) {
        // §5.2: "the most significant bit MUST be 0".
        Self.expectFailure([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x05] + WS.bytes("Hello"), .wsProtocol, closeCode: 1002, feed: feed)
        Self.expectFailure([0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .wsProtocol, closeCode: 1002, feed: feed)
    }

    /// §10.4: the header's length is checked before a byte of payload is buffered.
    @Test(arguments: Feed.allCases)
    func messageTooLargeRefusedBeforeBuffering(feed: Feed) {
        let limits = WebSocketLimits(maxMessageBytes: 1000)
        // 1001 bytes announced; no payload follows, the header alone must fail.
        Self.expectFailure([0x82, 0x7E, 0x03, 0xE9], .wsTooLarge, closeCode: 1009, feed: feed, limits: limits)
        // 2^62 bytes announced.
        Self.expectFailure([0x81, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0], .wsTooLarge, closeCode: 1009, feed: feed, limits: limits)
        // A fragmented message whose second fragment would go over the limit.
        let first = WS.serverFrame(0x02, [UInt8](repeating: 1, count: 600))
        Self.expectFailure(first + [0x80, 0x7E, 0x01, 0x91], .wsTooLarge, closeCode: 1009, feed: feed, limits: limits)
        // And with the default limit of 1 MiB.
        Self.expectFailure([0x82, 0x7F, 0, 0, 0, 0, 0, 0x10, 0, 0x01], .wsTooLarge, closeCode: 1009, feed: feed)
    }

    @Test func refusedMessageWasNotBuffered() {
        var c = WS.openClient(limits: WebSocketLimits(maxMessageBytes: 1000))
        let r = WS.run(&c, [0x82, 0x7E, 0x03, 0xE9] + [UInt8](repeating: 0, count: 1001), .whole)
        #expect(r.error == NostrError(.wsTooLarge, at: 0))
        #expect(c.message.isEmpty)
    }

    @Test(
        arguments: [[0xC0, 0xAF], [0xC1, 0x81], [0xE0, 0x80, 0xAF], [0xF0, 0x80, 0x80, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80]] as [[UInt8]],
        Feed.allCases)
    func overlongUTF8InText(bad: [UInt8], feed: Feed) {
        Self.expectFailure(WS.serverFrame(0x81, WS.bytes("a") + bad), .wsBadUTF8, closeCode: 1007, feed: feed)
    }

    @Test(arguments: [[0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]] as [[UInt8]], Feed.allCases)
    func surrogateInText(bad: [UInt8], feed: Feed) {
        Self.expectFailure(WS.serverFrame(0x81, bad), .wsBadUTF8, closeCode: 1007, feed: feed)
        // Split across fragments.
        Self.expectFailure(WS.serverFrame(0x01, [bad[0]]) + WS.serverFrame(0x80, Array(bad[1...])), .wsBadUTF8, closeCode: 1007, feed: feed)
    }

    @Test(arguments: Feed.allCases)
    func aboveMaxCodePointAndTruncatedInText(feed: Feed) {
        Self.expectFailure(WS.serverFrame(0x81, [0xF4, 0x90, 0x80, 0x80]), .wsBadUTF8, closeCode: 1007, feed: feed)
        Self.expectFailure(WS.serverFrame(0x81, [0x41, 0xE2, 0x82]), .wsBadUTF8, closeCode: 1007, feed: feed)
    }

    @Test(arguments: Feed.allCases)
    func closeWithOneBytePayload(feed: Feed) {
        Self.expectFailure([0x88, 0x01, 0x03], .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2000, 2999, 5000, 65535] as [UInt16], Feed.allCases)
    func closeWithInvalidCode(code: UInt16, feed: Feed) {
        Self.expectFailure(WS.serverFrame(0x88, WS.closePayload(code)), .wsProtocol, closeCode: 1002, feed: feed)
    }

    @Test(arguments: Feed.allCases)
    func closeWithBadUTF8Reason(feed: Feed) {
        Self.expectFailure(WS.serverFrame(0x88, WS.closePayload(1000, [0xC0, 0x80])), .wsBadUTF8, closeCode: 1007, feed: feed)
    }

    /// After we sent close, a failure queues no second close frame.
    @Test func failureWhileClosingSendsNothingMore() {
        var c = WS.openClient()
        c.close()
        c.consumeOutbound(c.outbound.count)
        let r = WS.run(&c, [0x83, 0x00], .whole)
        #expect(r.error?.code == .wsProtocol)
        #expect(c.state == .closed)
        #expect(c.outbound.isEmpty)
    }

    // MARK: Opening handshake (§4.1)

    /// Runs `response` (with "{accept}" replaced) against a fresh client.
    static func expectHandshakeFailure(
        status: String = "HTTP/1.1 101 Switching Protocols", headers: [String], _ code: NostrError.Code,
        feed: Feed, limits: WebSocketLimits = WebSocketLimits(), httpStatus: Int = 101,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(9), limits: limits)
        let r = WS.run(&c, WS.response(for: c, status: status, headers: headers), feed)
        #expect(r.error?.code == code, sourceLocation: sourceLocation)
        #expect(r.events.isEmpty, sourceLocation: sourceLocation)
        #expect(c.state == .closed, sourceLocation: sourceLocation)
        #expect(c.outbound.isEmpty, sourceLocation: sourceLocation)
        #expect(c.handshakeStatus == httpStatus, sourceLocation: sourceLocation)
    }

    static let good = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"]

    @Test(arguments: Feed.allCases)
    func handshakeWrongAccept(feed: Feed) {
        let wrong = WebSocketClient.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ==")
        Self.expectHandshakeFailure(
            headers: ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: \(wrong)"],
            .wsAcceptMismatch, feed: feed)
        // Base64 is case-sensitive; a second, wrong copy also fails.
        Self.expectHandshakeFailure(
            headers: [
                "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}",
                "Sec-WebSocket-Accept: x{accept}",
            ], .wsAcceptMismatch, feed: feed)
    }

    @Test(arguments: Feed.allCases)
    func handshakeMissingAccept(feed: Feed) {
        Self.expectHandshakeFailure(headers: ["Upgrade: websocket", "Connection: Upgrade"], .wsHandshake, feed: feed)
    }

    @Test(
        arguments: [
            ["Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"],
            ["Upgrade: h2c", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"],
            ["Upgrade: websockets", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"],
            ["Upgrade: websocket", "Sec-WebSocket-Accept: {accept}"],
            ["Upgrade: websocket", "Connection: keep-alive", "Sec-WebSocket-Accept: {accept}"],
            ["Upgrade: websocket", "Connection: upgraded", "Sec-WebSocket-Accept: {accept}"],
            ["X-Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"],
        ], Feed.allCases)
    func handshakeMissingUpgrade(headers: [String], feed: Feed) {
        Self.expectHandshakeFailure(headers: headers, .wsHandshake, feed: feed)
    }

    @Test(
        arguments: [
            ("HTTP/1.1 404 Not Found", 404), ("HTTP/1.1 502 Bad Gateway", 502), ("HTTP/1.1 200 OK", 200),
            ("HTTP/1.1 426 Upgrade Required", 426), ("HTTP/1.1 101", 101),
        ] as [(String, Int)], Feed.allCases)
    func handshake404(status: (String, Int), feed: Feed) {
        // A full, otherwise valid head: only the status is wrong (the last one is the control).
        if status.1 == 101 {
            var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(9))
            #expect(WS.run(&c, WS.response(for: c, status: status.0), feed).events.map(\.0) == [.open])
            return
        }
        Self.expectHandshakeFailure(status: status.0, headers: Self.good, .wsHandshake, feed: feed, httpStatus: status.1)
    }

    @Test(
        arguments: [
            "HTTP/1.0 101 Switching Protocols", "HTTP/2 101", "http/1.1 101 x", "HTTP/1.1 1010 x", "HTTP/1.1 10x",
            " HTTP/1.1 101 x", "HTTP/1.1  101 x", "SSH-2.0-OpenSSH_9.2", "",
        ], Feed.allCases)
    func handshakeBadStatusLine(status: String, feed: Feed) {
        Self.expectHandshakeFailure(status: status, headers: Self.good, .wsHandshake, feed: feed, httpStatus: 0)
    }

    @Test(
        arguments: [
            ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}", "no colon here"],
            [" folded-first: x", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"],
            [": empty name", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"],
        ], Feed.allCases)
    func handshakeMalformedField(headers: [String], feed: Feed) {
        Self.expectHandshakeFailure(headers: headers, .wsHandshake, feed: feed)
    }

    @Test(arguments: Feed.allCases)
    func handshakeHeadTooLarge(feed: Feed) {
        let limits = WebSocketLimits(maxHandshakeBytes: 1024)
        // A complete head that is too long.
        Self.expectHandshakeFailure(
            headers: Self.good + ["X-Pad: " + String(repeating: "a", count: 1100)], .wsTooLarge,
            feed: feed, limits: limits, httpStatus: 0)
        // A head that never ends.
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(9), limits: limits)
        let r = WS.run(&c, WS.bytes("HTTP/1.1 101 Switching Protocols\r\n") + [UInt8](repeating: 0x61, count: 2000), feed)
        #expect(r.error?.code == .wsTooLarge)
        #expect(c.state == .closed)
        #expect(c.outbound.isEmpty)
    }

    @Test func handshakeHeadAtTheLimitIsAccepted() {
        var c = WebSocketClient(hostHeader: "h", path: "/", seed: WS.seed(9), limits: WebSocketLimits(maxHandshakeBytes: 1024))
        var response = WS.response(for: c, headers: Self.good + ["X-Pad: "])
        let pad = 1024 - response.count
        response = WS.response(for: c, headers: Self.good + ["X-Pad: " + String(repeating: "a", count: pad)])
        #expect(response.count == 1024)
        #expect(WS.run(&c, response + [0x81, 0x00], .whole).events.map(\.0) == [.open, .text])
    }

    @Test(
        arguments: [
            "Sec-WebSocket-Extensions: permessage-deflate", "sec-websocket-extensions: x-webkit-deflate-frame",
            "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions:", " permessage-deflate",
        ], Feed.allCases)
    func handshakeUnrequestedExtension(field: String, feed: Feed) {
        // §4.1 items 5–6: we asked for no extension and no subprotocol.
        var headers = Self.good
        if field.hasPrefix(" ") {
            headers.insert("Sec-WebSocket-Extensions:", at: 1); headers.insert(field, at: 2)
        } else {
            headers.insert(field, at: 1)
        }
        if field == "Sec-WebSocket-Extensions:" { headers.insert(" permessage-deflate", at: 2) }
        Self.expectHandshakeFailure(headers: headers, .wsHandshake, feed: feed)
    }
}
