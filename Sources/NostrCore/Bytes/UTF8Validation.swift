/// UTF-8 well-formedness (RFC 3629 §4, the Unicode "well-formed UTF-8" table):
/// overlong forms, UTF-8-encoded surrogates (U+D800–U+DFFF), code points
/// above U+10FFFF, stray continuation bytes and truncated sequences are all
/// rejected. WebSocket text messages and close reasons must pass it (RFC 6455 §8.1).
public enum UTF8Validation {
    /// The offset of the first byte of the first ill-formed sequence, or nil
    /// when all of `bytes` is well-formed.
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        var i = 0
        while i < n {
            // ASCII fast path, 8 bytes at a time.
            while i + 8 <= n, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i &+= 8
            }
            guard i < n else { break }
            if bytes[i] < 0x80 { i &+= 1; continue }
            guard let length = sequenceLength(bytes, at: i, end: n) else { return i }
            i &+= length
        }
        return nil
    }

    /// The length (2 to 4) of the well-formed multi-byte sequence whose lead
    /// byte is `bytes[i]` (>= 0x80) and which ends before `end`, or nil when
    /// it is ill-formed. Shared with the JSON reader's string scanner.
    @inline(__always)
    static func sequenceLength(_ bytes: UnsafeRawBufferPointer, at i: Int, end: Int) -> Int? {
        var need: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF  // allowed range of the second byte
        switch bytes[i] {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lo = 0xA0  // no overlong 3-byte forms
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; hi = 0x9F  // no surrogates
        case 0xF0: need = 3; lo = 0x90  // no overlong 4-byte forms
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; hi = 0x8F  // nothing above U+10FFFF
        default: return nil  // 0x80–0xC1 (continuation, overlong 2-byte), 0xF5–0xFF
        }
        guard i + need < end else { return nil }
        let b1 = bytes[i + 1]
        guard b1 >= lo && b1 <= hi else { return nil }
        var k = 2
        while k <= need {
            guard bytes[i + k] & 0xC0 == 0x80 else { return nil }
            k += 1
        }
        return need + 1
    }

    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        firstInvalidOffset(bytes) == nil
    }

    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isValid($0) }
    }
}
