/// WebSocket frame headers (RFC 6455 §5.2) and masking (§5.3).

/// Frame opcodes (RFC 6455 §5.2, §11.8). Other values are reserved and fail.
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Close, ping and pong (§5.5): opcodes with the high bit set.
    @inline(__always)
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// A decoded frame header. The payload follows it on the wire.
public struct WebSocketFrameHeader: Equatable, Sendable {
    public var fin: Bool
    public var opcode: WebSocketOpcode
    /// The masking key as on the wire (first key byte in the high 8 bits), or nil when unmasked.
    public var maskKey: UInt32?
    /// Payload length (§5.2; never above 2^63 - 1).
    public var length: UInt64
    /// Bytes of header before the payload: 2 to 14.
    public var headerLength: Int

    /// Largest payload a control frame may carry (§5.5).
    public static let maxControlPayload = 125

    /// Decodes the header at the start of `bytes`, or returns nil when more
    /// bytes are needed. Rules that the bytes seen so far already break are
    /// reported at once, so a peer feeding a bad header byte by byte fails as
    /// early as one sending it whole:
    /// - RSV1–3 must be 0: no extension was negotiated (§5.2);
    /// - reserved opcodes fail (§5.2);
    /// - control frames must have FIN set and at most 125 bytes of payload (§5.5);
    /// - `masked` says which side we read: frames from a server must not be
    ///   masked, frames from a client must be (§5.1);
    /// - a 64-bit length must have its most significant bit clear (§5.2).
    /// Lengths in a longer form than needed are accepted (§5.2 says "minimal
    /// number of bytes MUST be used" for senders; nothing breaks by tolerating it).
    /// Errors are `.wsProtocol` with the offset of the offending byte.
    public static func decode(_ bytes: UnsafeRawBufferPointer, masked: Bool) throws(NostrError) -> WebSocketFrameHeader? {
        let n = bytes.count
        guard n >= 1 else { return nil }
        let b0 = bytes[0]
        guard b0 & 0x70 == 0 else { throw NostrError(.wsProtocol, at: 0) }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else { throw NostrError(.wsProtocol, at: 0) }
        let fin = b0 & 0x80 != 0
        guard fin || !opcode.isControl else { throw NostrError(.wsProtocol, at: 0) }
        guard n >= 2 else { return nil }
        let b1 = bytes[1]
        guard (b1 & 0x80 != 0) == masked else { throw NostrError(.wsProtocol, at: 1) }
        let len7 = Int(b1 & 0x7F)
        guard len7 <= maxControlPayload || !opcode.isControl else { throw NostrError(.wsProtocol, at: 1) }
        var length = UInt64(len7)
        var pos = 2
        if len7 == 126 {
            guard n >= 4 else { return nil }
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            pos = 4
        } else if len7 == 127 {
            guard n >= 3 else { return nil }
            guard bytes[2] & 0x80 == 0 else { throw NostrError(.wsProtocol, at: 2) }
            guard n >= 10 else { return nil }
            length = 0
            for k in 2..<10 { length = length << 8 | UInt64(bytes[k]) }
            pos = 10
        }
        var maskKey: UInt32? = nil
        if masked {
            guard n >= pos + 4 else { return nil }
            maskKey = UInt32(bytes[pos]) << 24 | UInt32(bytes[pos + 1]) << 16 | UInt32(bytes[pos + 2]) << 8 | UInt32(bytes[pos + 3])
            pos += 4
        }
        return WebSocketFrameHeader(fin: fin, opcode: opcode, maskKey: maskKey, length: length, headerLength: pos)
    }

    /// Appends this header to `out` with the shortest length encoding
    /// (7-bit, 16-bit or 64-bit, §5.2); `headerLength` is not consulted.
    public func encode(appendingTo out: inout [UInt8]) {
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        if length <= 125 {
            out.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(length >> 8)); out.append(UInt8(length & 0xFF))
        } else {
            out.append(maskBit | 127)
            var shift: UInt64 = 56
            for _ in 0..<8 { out.append(UInt8(length >> shift & 0xFF)); shift &-= 8 }
        }
        if let key = maskKey {
            out.append(UInt8(key >> 24)); out.append(UInt8(key >> 16 & 0xFF))
            out.append(UInt8(key >> 8 & 0xFF)); out.append(UInt8(key & 0xFF))
        }
    }

    /// The encoded size of a header for `length` payload bytes (§5.2).
    public static func encodedLength(payload length: Int, masked: Bool) -> Int {
        (length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0)
    }
}

public enum WebSocketMask {
    /// XORs `bytes` with `key` (§5.3): byte i with key byte (i + phase) mod 4,
    /// where key byte 0 is the high byte of `key`. Masking twice unmasks.
    public static func apply(_ key: UInt32, to bytes: UnsafeMutableRawBufferPointer, phase: Int = 0) {
        let n = bytes.count
        guard n > 0 else { return }
        // Rotate so that key byte (phase mod 4) comes first.
        let r = UInt32((phase & 3) * 8)
        let k = r == 0 ? key : key << r | key >> (32 - r)
        // Eight bytes at a time: the key repeated, in memory order.
        let k32 = k.bigEndian  // memory bytes k0 k1 k2 k3
        let k64 = UInt64(k32) | UInt64(k32) << 32
        var i = 0
        while i + 8 <= n {
            let v = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            bytes.storeBytes(of: v ^ k64, toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        while i < n {
            bytes[i] ^= UInt8(truncatingIfNeeded: k >> UInt32(24 - (i & 3) * 8))
            i &+= 1
        }
    }
}

/// Close status codes (RFC 6455 §7.4).
public enum WebSocketCloseCode {
    public static let normal: UInt16 = 1000
    public static let protocolError: UInt16 = 1002
    /// Never sent: stands for "the close frame carried no code" (§7.1.5).
    public static let noStatus: UInt16 = 1005
    public static let invalidPayload: UInt16 = 1007
    public static let messageTooBig: UInt16 = 1009

    /// Whether `code` may appear in a close frame (§7.4.1, §7.4.2): 1000–1003,
    /// 1007–1011 (1010 and 1011 from the IANA registry, §11.7), and 3000–4999
    /// (registered and private use). 1004, 1005, 1006, 1015, the rest of
    /// 1012–2999, and anything below 1000 or above 4999 are not.
    public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: return true
        default: return false
        }
    }
}
