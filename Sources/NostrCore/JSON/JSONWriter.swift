/// Appends JSON text to a byte buffer. Strings are escaped exactly as
/// NIP-01 requires for the event id serialization, which is also what
/// `JSON.stringify` and serde_json produce: `\"`, `\\`, `\n`, `\r`, `\t`,
/// `\b`, `\f`, other control characters as lowercase `\u00xx`, and every
/// other character (`/` and non-ASCII included) verbatim as UTF-8.
public struct JSONWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) public mutating func raw(_ b: UInt8) { bytes.append(b) }

    public mutating func raw(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// A quoted, escaped string from UTF-8 bytes.
    public mutating func string(_ utf8: some Sequence<UInt8>) {
        bytes.append(0x22)
        for c in utf8 { Self.appendEscaped(c, to: &bytes) }
        bytes.append(0x22)
    }

    public mutating func string(_ s: String) {
        string(s.utf8)
    }

    /// A string whose raw JSON form (between the quotes, possibly with
    /// escapes) is `raw`, re-escaped canonically. Used to re-serialize a
    /// parsed string without materializing it.
    public mutating func string(jsonValue: JSONValue) {
        bytes.append(0x22)
        if jsonValue.token.escaped {
            JSONStringDecoder.decode(jsonValue.rawBytes) { Self.appendEscaped($0, to: &bytes) }
        } else {
            // Unescaped input holds no quote, backslash or control character.
            bytes.append(contentsOf: jsonValue.rawBytes)
        }
        bytes.append(0x22)
    }

    @inline(__always)
    static func appendEscaped(_ c: UInt8, to out: inout [UInt8]) {
        switch c {
        case 0x22: out.append(0x5C); out.append(0x22)
        case 0x5C: out.append(0x5C); out.append(0x5C)
        case 0x0A: out.append(0x5C); out.append(0x6E)
        case 0x0D: out.append(0x5C); out.append(0x72)
        case 0x09: out.append(0x5C); out.append(0x74)
        case 0x08: out.append(0x5C); out.append(0x62)
        case 0x0C: out.append(0x5C); out.append(0x66)
        case 0..<0x20:
            out.append(0x5C); out.append(0x75); out.append(0x30); out.append(0x30)
            out.append(Hex.digit(c >> 4)); out.append(Hex.digit(c & 0x0F))
        default: out.append(c)
        }
    }

    /// A decimal integer.
    public mutating func int(_ v: Int64) {
        if v < 0 { bytes.append(0x2D) }
        var m = v.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, room for 20 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
                m /= 10
                n += 1
            } while m > 0
            while n > 0 { n -= 1; bytes.append(d[n]) }
        }
    }

    public mutating func int(_ v: Int) { int(Int64(v)) }

    /// 32 or 64 bytes as a quoted lowercase hex string.
    public mutating func hex(_ b: UnsafeRawBufferPointer) {
        bytes.append(0x22)
        Hex.append(b, to: &bytes)
        bytes.append(0x22)
    }

    public mutating func hex(_ v: Bytes32) { v.withUnsafeBytes { hex($0) } }
    public mutating func hex(_ v: Bytes64) { v.withUnsafeBytes { hex($0) } }
}
