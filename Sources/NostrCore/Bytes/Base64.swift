/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4), for the
/// WebSocket handshake's Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 §4.1).
public enum Base64 {
    static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// The length of the encoding of `count` bytes.
    @inline(__always)
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Appends the encoding of `bytes` to `out`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
        let table = alphabet.utf8Start
        out.reserveCapacity(out.count + encodedCount(bytes.count))
        var i = 0
        let n = bytes.count
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(table[Int(v >> 18)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(table[Int(v >> 6 & 63)])
            out.append(table[Int(v & 63)])
            i += 3
        }
        let rest = n - i
        if rest > 0 {
            let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(table[Int(v >> 18)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(rest == 2 ? table[Int(v >> 6 & 63)] : 0x3D)
            out.append(0x3D)
        }
    }

    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBytes { encode($0, appendingTo: &out) }
        return out
    }

    public static func encodedString(_ bytes: [UInt8]) -> String {
        String(decoding: encode(bytes), as: UTF8.self)
    }

    /// The value of one alphabet character, or nil.
    @inline(__always)
    static func value(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x41...0x5A: return UInt32(c - 0x41)  // A-Z
        case 0x61...0x7A: return UInt32(c - 0x61 + 26)  // a-z
        case 0x30...0x39: return UInt32(c - 0x30 + 52)  // 0-9
        case 0x2B: return 62  // +
        case 0x2F: return 63  // /
        default: return nil
        }
    }

    /// Strict decoding: the length must be a multiple of 4, padding only at
    /// the end, no whitespace, and the unused bits before padding must be zero
    /// (canonical encoding, RFC 4648 §3.5). Nil when `text` is not such an encoding.
    public static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        let n = text.count
        guard n % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(n / 4 * 3)
        var i = 0
        while i < n {
            let last = i + 4 == n
            guard let a = value(text[i]), let b = value(text[i + 1]) else { return nil }
            let c = text[i + 2], d = text[i + 3]
            if last && c == 0x3D {
                guard d == 0x3D, b & 15 == 0 else { return nil }
                out.append(UInt8(a << 2 | b >> 4))
            } else if last && d == 0x3D {
                guard let cv = value(c), cv & 3 == 0 else { return nil }
                let v = a << 18 | b << 12 | cv << 6
                out.append(UInt8(v >> 16)); out.append(UInt8(v >> 8 & 0xFF))
            } else {
                guard let cv = value(c), let dv = value(d) else { return nil }
                let v = a << 18 | b << 12 | cv << 6 | dv
                out.append(UInt8(v >> 16)); out.append(UInt8(v >> 8 & 0xFF)); out.append(UInt8(v & 0xFF))
            }
            i += 4
        }
        return out
    }

    public static func decode(_ text: [UInt8]) -> [UInt8]? {
        text.withUnsafeBytes { decode($0) }
    }
}
