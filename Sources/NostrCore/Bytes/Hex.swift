/// Lowercase hexadecimal, as NIP-01 writes ids, keys and signatures.
public enum Hex {
    @inline(__always)
    public static func digit(_ v: UInt8) -> UInt8 {
        v < 10 ? 0x30 &+ v : 0x57 &+ v  // "0"... / "a"-10...
    }

    /// Value of one hex digit, or nil. Only lowercase is accepted when `strict`
    /// (NIP-01 requires lowercase hex for ids, pubkeys and sigs).
    @inline(__always)
    public static func value(_ c: UInt8, lowercaseOnly: Bool = true) -> UInt8? {
        switch c {
        case 0x30...0x39: return c &- 0x30
        case 0x61...0x66: return c &- 0x57
        case 0x41...0x46: return lowercaseOnly ? nil : c &- 0x37
        default: return nil
        }
    }

    /// Appends the lowercase hex of `bytes` to `out`.
    public static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        for b in bytes {
            out.append(digit(b >> 4))
            out.append(digit(b & 0x0f))
        }
    }

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for b in bytes {
            out.append(digit(b >> 4))
            out.append(digit(b & 0x0f))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `hex` (even length) into `dst`, which must be exactly half as long.
    public static func decode(
        _ hex: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, lowercaseOnly: Bool = true
    ) throws(NostrError) {
        guard hex.count == dst.count * 2 else { throw NostrError(.badLength) }
        var i = 0
        while i < dst.count {
            guard let hi = value(hex[2 * i], lowercaseOnly: lowercaseOnly),
                let lo = value(hex[2 * i + 1], lowercaseOnly: lowercaseOnly)
            else { throw NostrError(.badHex, at: 2 * i) }
            dst[i] = hi << 4 | lo
            i += 1
        }
    }

    public static func decode(_ hex: String, lowercaseOnly: Bool = false) throws(NostrError) -> [UInt8] {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { throw NostrError(.badLength) }
        var out = [UInt8](repeating: 0, count: utf8.count / 2)
        try utf8.withBytes { (src) throws(NostrError) in
            try out.withMutableBytes { (dst) throws(NostrError) in
                try decode(src, into: dst, lowercaseOnly: lowercaseOnly)
            }
        }
        return out
    }

    public static func decode32(_ hex: String) throws(NostrError) -> Bytes32 {
        var out = Bytes32.zero
        let utf8 = Array(hex.utf8)
        try utf8.withBytes { (src) throws(NostrError) in
            try out.withUnsafeMutableBytes { (dst) throws(NostrError) in
                try decode(src, into: dst, lowercaseOnly: false)
            }
        }
        return out
    }
}

extension Bytes32 {
    /// Lowercase hex, 64 characters.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }
}

extension Bytes64 {
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }
}
