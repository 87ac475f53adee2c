import Foundation

@testable import NostrCore

/// How a test feeds bytes to the client: all at once, or one byte per `receive`.
enum Feed: CaseIterable, Sendable, CustomStringConvertible {
    case whole, byteByByte
    var description: String { self == .whole ? "whole" : "byte by byte" }
}

/// A client frame as the server sees it, unmasked.
struct SentFrame: Equatable {
    var fin: Bool
    var opcode: WebSocketOpcode
    var maskKey: UInt32?
    var payload: [UInt8]
    var headerLength: Int
}

enum WS {
    static func seed(_ b: UInt8) -> Bytes32 {
        try! Bytes32([UInt8](repeating: b, count: 31) + [0x5A])
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    /// The Sec-WebSocket-Key in a request the client queued.
    static func requestKey(_ request: [UInt8]) -> String {
        let t = text(request)
        let marker = "Sec-WebSocket-Key: "
        guard let r = t.range(of: marker) else { return "" }
        // Up to the CR (in a String, "\r\n" is one Character).
        return String(decoding: t[r.upperBound...].utf8.prefix { $0 != 0x0D }, as: UTF8.self)
    }

    /// A 101 response for `client`'s request; `headers` replaces the default header lines
    /// ("{accept}" in them stands for the right accept value).
    static func response(
        for client: WebSocketClient, status: String = "HTTP/1.1 101 Switching Protocols",
        headers: [String]? = nil, newline: String = "\r\n"
    ) -> [UInt8] {
        let accept = WebSocketClient.accept(forKey: requestKey(client.outbound))
        let lines = (headers ?? ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}"])
            .map { $0.replacingOccurrences(of: "{accept}", with: accept) }
        return bytes(([status] + lines).joined(separator: newline) + newline + newline)
    }

    /// A client past the handshake, with the upgrade request already written.
    static func openClient(seed: UInt8 = 1, limits: WebSocketLimits = WebSocketLimits()) -> WebSocketClient {
        var c = WebSocketClient(hostHeader: "relay.example", path: "/", seed: Self.seed(seed), limits: limits)
        let r = response(for: c)
        try! c.receive(r)
        precondition(try! c.nextEvent() == .open)
        c.consumeOutbound(c.outbound.count)
        return c
    }

    /// Feeds `input` as `mode` says, draining events after each `receive`;
    /// stops at the first error. Returns the events with a copy of `message` for each.
    static func run(_ c: inout WebSocketClient, _ input: [UInt8], _ mode: Feed) -> (events: [(WebSocketEvent, [UInt8])], error: NostrError?)
    {
        var events: [(WebSocketEvent, [UInt8])] = []
        func drain() throws(NostrError) {
            while let e = try c.nextEvent() { events.append((e, c.message)) }
        }
        do throws(NostrError) {
            switch mode {
            case .whole:
                try c.receive(input)
                try drain()
            case .byteByByte:
                for b in input {
                    if c.state == .closed { break }
                    try c.receive([b])
                    try drain()
                }
            }
        } catch {
            return (events, error)
        }
        return (events, nil)
    }

    /// Splits what a client sent into frames (they must be masked, §5.1) and unmasks them.
    static func clientFrames(_ bytes: [UInt8]) -> [SentFrame] {
        var frames: [SentFrame] = []
        var at = 0
        while at < bytes.count {
            let rest = Array(bytes[at...])
            guard let h = try! rest.withUnsafeBytes({ (p) throws(NostrError) in try WebSocketFrameHeader.decode(p, masked: true) }) else {
                fatalError("incomplete frame")
            }
            var payload = Array(rest[h.headerLength..<h.headerLength + Int(h.length)])
            payload.withUnsafeMutableBytes { WebSocketMask.apply(h.maskKey!, to: $0) }
            frames.append(SentFrame(fin: h.fin, opcode: h.opcode, maskKey: h.maskKey, payload: payload, headerLength: h.headerLength))
            at += h.headerLength + Int(h.length)
        }
        return frames
    }

    /// An unmasked server frame with the shortest length form.
    static func serverFrame(_ first: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [first]
        if payload.count <= 125 {
            out.append(UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(127)
            for k in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: payload.count >> (8 * k))) }
        }
        return out + payload
    }

    static func closePayload(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
    }
}
