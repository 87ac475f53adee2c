/// HTTP/1.1 message heads (RFC 9112 §2–§5, RFC 9110 §5): the byte rules
/// shared by the response parser (`HTTPResponseParser`, the `fetch`
/// client) and the request parser (`HTTPRequestHead`, the `https-demo`
/// server). Strict on purpose, since a lenient reader is how request and
/// response smuggling start:
/// - lines end in CRLF; a bare LF or CR is an error (RFC 9112 §2.2 allows
///   refusing them);
/// - a field name is a token directly followed by ":" (whitespace before
///   the colon MUST be rejected, RFC 9112 §5.1);
/// - a line that starts with SP or HTAB (obs-fold, RFC 9112 §5.2) is refused;
/// - field values hold VCHAR, obs-text, SP and HTAB only (RFC 9110 §5.5):
///   NUL and other controls are refused.

/// One header field: the name lowercased (field names are
/// case-insensitive, RFC 9110 §5.1), the value without surrounding
/// whitespace, both as bytes.
public struct HTTPField: Equatable, Sendable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public var valueText: String { String(decoding: value, as: UTF8.self) }
}

/// Field reading and lookup.
public enum HTTPFields {
    /// tchar (RFC 9110 §5.6.2): "!" / "#" / "$" / "%" / "&" / "'" / "*" /
    /// "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
    @inline(__always)
    public static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    /// field-vchar / SP / HTAB (RFC 9110 §5.5): VCHAR, obs-text (0x80–0xFF).
    @inline(__always)
    static func isValueByte(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || (c >= 0x21 && c != 0x7F)
    }

    /// Reads one field line `bytes[start..<end]` (without its CRLF). The
    /// error offset is `base + ` the position within the line's buffer.
    static func parseLine(
        _ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, base: Int,
        error: NostrError.Code
    ) throws(NostrError) -> HTTPField {
        guard start < end, bytes[start] != 0x20, bytes[start] != 0x09 else {
            throw NostrError(error, at: base + start)  // obs-fold or an empty name
        }
        var i = start
        var name: [UInt8] = []
        while i < end && bytes[i] != 0x3A {
            let c = bytes[i]
            guard isTokenByte(c) else { throw NostrError(error, at: base + i) }
            name.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
            i += 1
        }
        guard i < end, !name.isEmpty else { throw NostrError(error, at: base + i) }
        i += 1  // ":"
        while i < end && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        var last = end
        while last > i && (bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09) { last -= 1 }
        var value: [UInt8] = []
        value.reserveCapacity(last - i)
        for k in i..<last {
            guard isValueByte(bytes[k]) else { throw NostrError(error, at: base + k) }
            value.append(bytes[k])
        }
        return HTTPField(name: name, value: value)
    }

    /// Every value of the fields named `name` (lowercase ASCII).
    public static func values(_ fields: [HTTPField], _ name: StaticString) -> [[UInt8]] {
        let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return fields.filter { $0.name.elementsEqual(wanted) }.map { $0.value }
    }

    /// The value of the only field named `name`; nil when there is none.
    public static func first(_ fields: [HTTPField], _ name: StaticString) -> [UInt8]? {
        values(fields, name).first
    }

    /// ASCII case-insensitive comparison with a lowercase literal.
    static func equalsIgnoringCase(_ bytes: [UInt8], _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for i in 0..<bytes.count {
            let c = bytes[i]
            if (c >= 0x41 && c <= 0x5A ? c | 0x20 : c) != l[i] { return false }
        }
        return true
    }

    /// The index of the CRLF that ends the line starting at `from`, or nil
    /// if the buffer holds no complete line yet. A bare CR or LF on the way
    /// is an error.
    static func lineEnd(
        _ bytes: UnsafeRawBufferPointer, from: Int, limit: Int, base: Int,
        error: NostrError.Code
    ) throws(NostrError) -> Int? {
        var i = from
        let n = min(bytes.count, limit)
        while i < n {
            let c = bytes[i]
            if c == 0x0A { throw NostrError(error, at: base + i) }  // LF without CR
            if c == 0x0D {
                guard i + 1 < bytes.count else { return nil }
                guard bytes[i + 1] == 0x0A else { throw NostrError(error, at: base + i) }
                return i
            }
            i += 1
        }
        return nil
    }

    /// A decimal Content-Length (RFC 9110 §8.6: 1*DIGIT), at most 15 digits.
    static func decimal(_ bytes: [UInt8]) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
        var v = 0
        for c in bytes {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }
}
