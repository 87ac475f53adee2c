// Fuzz targets for the bytes a peer sends on a connection: the HTTP upgrade
// response and WebSocket frames from a relay (RFC 6455), HTTP responses
// and requests (RFC 9112), the BOLT 8 acts and transport messages, a STUN
// response (RFC 5389) and certificates (X.509 through mbedTLS).
import NostrCore

enum FuzzTransport {
    /// Input bytes delivered in pieces of a size the first byte picks
    /// (1 to 256), so every partial-read path runs.
    static func inPieces(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Bool) {
        guard let first = input.first else { return }
        let piece = Int(first) + 1
        var at = 1
        while at < input.count {
            let end = min(input.count, at + piece)
            guard body(UnsafeRawBufferPointer(rebasing: input[at..<end])) else { return }
            at = end
        }
    }

    static let limits = WebSocketLimits(maxMessageBytes: 64 * 1024, maxHandshakeBytes: 4 * 1024)

    /// Drains the client's events; text messages go to the relay message
    /// parser as RelayPool does. False once the connection failed or closed.
    static func drain(_ client: inout WebSocketClient, _ reader: inout JSONReader) -> Bool {
        do throws(NostrError) {
            while let event = try client.nextEvent() {
                switch event {
                case .text:
                    check(client.message.count <= limits.maxMessageBytes, "message within the limit")
                    check(UTF8Validation.isValid(client.message), "text is UTF-8")
                    _ = try? RelayMessage(json: client.message, reader: &reader)
                    try client.sendText(UnsafeRawBufferPointer(start: nil, count: 0))
                case .binary, .pong:
                    check(client.message.count <= limits.maxMessageBytes, "message within the limit")
                case .open:
                    check(client.state == .open, "open after the upgrade")
                case .closed:
                    return false
                }
                client.consumeOutbound(client.outbound.count)
            }
        } catch {
            return false
        }
        return client.state == .open || client.state == .connecting || client.state == .closing
    }

    /// The HTTP upgrade response from a relay, any bytes.
    static func websocketUpgrade(_ input: UnsafeRawBufferPointer) {
        var client = WebSocketClient(hostHeader: "relay.example", path: "/", seed: .zero, limits: limits)
        client.consumeOutbound(client.outbound.count)
        var reader = JSONReader()
        inPieces(input) { piece in
            guard (try? client.receive(piece)) != nil else { return false }
            return drain(&client, &reader)
        }
    }

    /// Frames from a relay after a valid upgrade (the Sec-WebSocket-Accept
    /// computed from our request's key).
    static func websocketFrames(_ input: UnsafeRawBufferPointer) {
        var client = WebSocketClient(hostHeader: "relay.example", path: "/", seed: .zero, limits: limits)
        let request = String(decoding: client.outbound, as: UTF8.self)
        client.consumeOutbound(client.outbound.count)
        var key: [UInt8] = []
        for line in request.split(separator: "\r\n") where line.hasPrefix("Sec-WebSocket-Key: ") {
            key = Array(line.dropFirst("Sec-WebSocket-Key: ".count).utf8)
        }
        let accept = WebSocketHandshake.accept(forKey: key)
        let response =
            Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ".utf8)
            + accept + Array("\r\n\r\n".utf8)
        var reader = JSONReader()
        response.withUnsafeBytes { p in check((try? client.receive(p)) != nil, "valid upgrade is taken") }
        check(drain(&client, &reader) && client.state == .open, "valid upgrade opens")
        inPieces(input) { piece in
            guard (try? client.receive(piece)) != nil else { return false }
            return drain(&client, &reader)
        }
    }

    /// An HTTP/1.1 response (fetch, the HTTPS client): fed in pieces, then
    /// end of stream. What completes stays within the limits.
    static func httpResponse(_ input: UnsafeRawBufferPointer) {
        var limits = HTTPLimits()
        limits.maxHeadBytes = 2048
        limits.maxFields = 20
        limits.maxBodyBytes = 8192
        var parser = HTTPResponseParser(limits: limits, requestWasHead: (input.first ?? 0) & 1 == 1)
        var failed = false
        inPieces(input) { piece in
            do throws(NostrError) {
                return !(try parser.feed(piece))
            } catch {
                failed = true
                return false
            }
        }
        if !failed { _ = try? parser.finish() }
        if let response = parser.response {
            check(response.body.count <= limits.maxBodyBytes, "body within the limit")
            check(response.fields.count <= limits.maxFields, "fields within the limit")
            check(response.status >= 100 && response.status <= 999, "a three-digit status")
        }
    }

    /// An HTTP request head (the gateway's and https-demo's upgrade and GET).
    static func httpRequest(_ input: UnsafeRawBufferPointer) {
        guard let (head, length) = try? HTTPRequestHead.parse(input) else { return }
        check(length > 0 && length <= input.count, "head length inside the input")
        _ = head
    }

    static let context = FuzzNostr.context
    static let initiatorStatic = SecretKey(bytes: try! Bytes32(Array(repeating: UInt8(0x31), count: 32)))
    static let initiatorEphemeral = SecretKey(bytes: try! Bytes32(Array(repeating: UInt8(0x32), count: 32)))
    static let responderEphemeral = SecretKey(bytes: try! Bytes32(Array(repeating: UInt8(0x33), count: 32)))
    static let responderStatic = try! context.evenYSecret(SecretKey(bytes: try! Bytes32(Array(repeating: UInt8(0x21), count: 32))))
    static let responderPublic = try! context.compressedPublicKey(of: responderStatic)

    static func initiator() -> NoiseHandshake {
        try! NoiseHandshake(initiator: initiatorStatic, remote: responderPublic, ephemeral: initiatorEphemeral, context: context)
    }
    static func responder() -> NoiseHandshake {
        try! NoiseHandshake(responder: responderStatic, ephemeral: responderEphemeral, context: context)
    }

    /// An honest handshake (fixed keys): its three acts, and the
    /// initiator's and responder's transports.
    static let honest: (acts: [[UInt8]], transports: (NoiseTransport, NoiseTransport)) = {
        var i = initiator()
        var r = responder()
        let one = try! i.start()
        let two = try! one.withUnsafeBytes { try r.receive($0) }
        let three = try! two.withUnsafeBytes { try i.receive($0) }
        _ = try! three.withUnsafeBytes { try r.receive($0) }
        return ([one, two, three], (i.transport()!, r.transport()!))
    }()
    static var honestActs: [[UInt8]] { honest.acts }

    /// BOLT 8 acts: the first byte picks act one, two or three of an honest
    /// handshake; the rest are (position, xor) pairs applied to it. The act
    /// must be taken exactly when nothing changed (the MAC and the key
    /// check catch every change). The input is also tried raw as each act.
    static func noiseActs(_ input: UnsafeRawBufferPointer) {
        guard let selector = input.first else { return }
        let which = Int(selector) % 3
        var act = honestActs[which]
        var i = 1
        while i + 1 < input.count {
            act[Int(input[i]) % act.count] ^= input[i + 1]
            i += 2
        }
        let changed = act != honestActs[which]
        var initiator = initiator()
        var responder = responder()
        let ok: Bool
        switch which {
        case 0:
            ok = act.withUnsafeBytes { (try? responder.receive($0)) != nil }
        case 1:
            _ = try! initiator.start()
            ok = act.withUnsafeBytes { (try? initiator.receive($0)) != nil }
        default:
            _ = try! honestActs[0].withUnsafeBytes { try responder.receive($0) }
            ok = act.withUnsafeBytes { (try? responder.receive($0)) != nil }
        }
        check(ok != changed, "an act is taken exactly when unchanged")
        // Raw bytes as act one (to a responder) and act two (to an initiator).
        let raw = UnsafeRawBufferPointer(rebasing: input[1...])
        var r2 = self.responder()
        _ = try? r2.receive(raw)
        var i2 = self.initiator()
        _ = try! i2.start()
        _ = try? i2.receive(raw)
    }

    /// BOLT 8 transport messages: the input is split into messages (a
    /// length byte, then that many bytes), sealed by one side and read by
    /// the other in pieces; they arrive unchanged. With the top bit of the
    /// first byte, 1,001 empty messages go first (a key rotation, every
    /// 1,000). Then one byte of the ciphertext is flipped: nothing from
    /// that message on may be delivered.
    static func noiseTransport(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        var (sender, receiver) = honest.transports
        var messages: [[UInt8]] = []
        if input[0] & 0x80 != 0 { messages = Array(repeating: [], count: 1001) }
        var at = 2
        while at < input.count {
            let n = min(Int(input[at]), input.count - at - 1)
            messages.append(Array(input[(at + 1)..<(at + 1 + n)]))
            at += 1 + n
        }
        var wire: [UInt8] = []
        var starts: [Int] = []
        for m in messages {
            starts.append(wire.count)
            m.withUnsafeBytes { sender.seal($0, appendingTo: &wire) }
        }
        // Tamper with one byte (input[1] picks which; 0 leaves it alone).
        var tamperedMessage = messages.count
        if input[1] != 0, !wire.isEmpty {
            let position = (Int(input[1]) * 7919 + input.count) % wire.count
            wire[position] ^= input[1]
            tamperedMessage = (starts.lastIndex { $0 <= position }) ?? 0
        }
        let piece = Int(input[0] & 0x7F) + 1
        var received: [[UInt8]] = []
        var failed = false
        var offset = 0
        while offset < wire.count && !failed {
            let end = min(wire.count, offset + piece)
            wire.withUnsafeBytes { receiver.receive(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }
            offset = end
            do throws(NostrError) {
                while true {
                    var out: [UInt8] = []
                    guard try receiver.nextMessage(appendingTo: &out) else { break }
                    received.append(out)
                }
            } catch {
                failed = true
            }
        }
        check(received.count <= tamperedMessage, "nothing delivered from a tampered message on")
        for (k, m) in received.enumerated() { check(m == messages[k], "messages arrive unchanged") }
        if tamperedMessage == messages.count {
            check(!failed && received.count == messages.count, "every honest message arrives")
        } else {
            check(failed, "tampering is detected")
        }
    }

    /// A STUN Binding response (RFC 5389 §7.3.3) for a fixed transaction.
    static func stun(_ input: UnsafeRawBufferPointer) {
        let id: [UInt8] = Array(repeating: 0x5A, count: STUN.transactionIDLength)
        _ = try? STUN.parseBindingResponse(input, transactionID: id)
        // Also with our transaction ID in place, so the attributes are read.
        guard input.count >= 20 else { return }
        var bytes = Array(input)
        for k in 0..<12 { bytes[8 + k] = 0x5A }
        bytes[4] = 0x21; bytes[5] = 0x12; bytes[6] = 0xA4; bytes[7] = 0x42
        _ = bytes.withUnsafeBytes { try? STUN.parseBindingResponse($0, transactionID: id) }
    }

    /// A certificate as a TLS key record's content carries it (PEM or DER).
    static func certificate(_ input: UnsafeRawBufferPointer) {
        _ = try? CertificateInfo(pem: Array(input))
    }
}
