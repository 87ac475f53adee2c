/// Read access to a parsed document: a cursor (token index) over the tape
/// and the input it was parsed from. Nothing is copied until a value is
/// decoded. The input must outlive the values taken from it.
public struct JSONValue {
    public let input: UnsafeRawBufferPointer
    @usableFromInline let tokens: UnsafeBufferPointer<JSONToken>
    public let index: Int

    @inline(__always)
    public init(input: UnsafeRawBufferPointer, tokens: UnsafeBufferPointer<JSONToken>, index: Int) {
        self.input = input
        self.tokens = tokens
        self.index = index
    }

    @inline(__always) var token: JSONToken { tokens[index] }
    public var kind: JSONKind { token.kind }

    /// Index of the token after this value and all it contains.
    @inline(__always)
    var next: Int {
        let t = token
        return (t.kind == .array || t.kind == .object) ? Int(t.end) : index + 1
    }

    /// Number of elements (array) or members (object); 0 for scalars.
    public var count: Int { Int(token.count) }

    // MARK: Arrays

    /// The elements of an array, in order (empty for non-arrays).
    public var elements: Elements { Elements(first: self, remaining: kind == .array ? count : 0) }

    public struct Elements: Sequence, IteratorProtocol {
        var cursor: JSONValue
        var remaining: Int
        init(first container: JSONValue, remaining: Int) {
            cursor = JSONValue(input: container.input, tokens: container.tokens, index: container.index + 1)
            self.remaining = remaining
        }
        public mutating func next() -> JSONValue? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let v = cursor
            if remaining > 0 { cursor = JSONValue(input: v.input, tokens: v.tokens, index: v.next) }
            return v
        }
    }

    /// The array element at position `i`, or nil.
    public subscript(i: Int) -> JSONValue? {
        guard kind == .array, i >= 0, i < count else { return nil }
        var k = 0
        for e in elements {
            if k == i { return e }
            k += 1
        }
        return nil
    }

    // MARK: Objects

    /// Calls `body` for each member as (key, value), in document order.
    public func forEachMember<E: Error>(_ body: (JSONValue, JSONValue) throws(E) -> Void) throws(E) {
        guard kind == .object else { return }
        var i = index + 1
        for _ in 0..<count {
            let key = JSONValue(input: input, tokens: tokens, index: i)
            let value = JSONValue(input: input, tokens: tokens, index: i + 1)
            try body(key, value)
            i = value.next
        }
    }

    /// The value of member `key`, or nil. The key is matched after unescaping.
    /// Duplicate keys: the first wins (callers that care check `hasUniqueKeys`).
    public func member(_ key: StaticString) -> JSONValue? {
        guard kind == .object else { return nil }
        let k = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var i = index + 1
        for _ in 0..<count {
            let name = JSONValue(input: input, tokens: tokens, index: i)
            let value = JSONValue(input: input, tokens: tokens, index: i + 1)
            if name.stringEquals(k) { return value }
            i = value.next
        }
        return nil
    }

    // MARK: Strings

    /// The raw bytes between the quotes (escapes not decoded).
    public var rawBytes: UnsafeRawBufferPointer {
        let t = token
        return UnsafeRawBufferPointer(rebasing: input[Int(t.start)..<Int(t.end)])
    }

    /// True if this is a string whose decoded bytes equal `bytes`.
    public func stringEquals(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let t = token
        guard t.kind == .string else { return false }
        if !t.escaped {
            let raw = rawBytes
            guard raw.count == bytes.count else { return false }
            for i in 0..<raw.count where raw[i] != bytes[i] { return false }
            return true
        }
        var i = 0
        var equal = true
        JSONStringDecoder.decode(rawBytes) { b in
            if i >= bytes.count || bytes[i] != b { equal = false }
            i += 1
        }
        return equal && i == bytes.count
    }

    /// Appends the decoded UTF-8 bytes of a string value to `out`.
    public func appendString(to out: inout [UInt8]) {
        let t = token
        guard t.kind == .string else { return }
        if !t.escaped {
            out.append(contentsOf: rawBytes)
        } else {
            JSONStringDecoder.decode(rawBytes) { out.append($0) }
        }
    }

    /// The decoded string, or nil if this is not a string.
    public var string: String? {
        guard kind == .string else { return nil }
        if !token.escaped { return String(decoding: rawBytes, as: UTF8.self) }
        var bytes: [UInt8] = []
        appendString(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Numbers

    /// The value of an integer number (no fraction or exponent) that fits
    /// in Int64; nil otherwise.
    public var int64: Int64? {
        let t = token
        guard t.kind == .number else { return nil }
        var i = Int(t.start)
        let end = Int(t.end)
        let negative = input[i] == 0x2D
        if negative { i += 1 }
        var v: Int64 = 0
        while i < end {
            let d = input[i] &- 0x30
            guard d < 10 else { return nil }  // '.', 'e', 'E'
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            guard !o1 && !o2 else { return nil }
            v = s
            i += 1
        }
        return v
    }
}

extension JSONReader {
    /// Calls `body` with the root of the last parse over `input` (which must
    /// be the buffer that was parsed).
    @inline(__always)
    public func withRoot<R, E: Error>(_ input: UnsafeRawBufferPointer, _ body: (JSONValue) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = tokens.withUnsafeBufferPointer { t in
            Result { () throws(E) -> R in try body(JSONValue(input: input, tokens: t, index: 0)) }
        }
        return try result.get()
    }
}

/// Decodes the escapes of an already validated string (RFC 8259 §7).
enum JSONStringDecoder {
    @inline(__always)
    static func decode(_ raw: UnsafeRawBufferPointer, _ emit: (UInt8) -> Void) {
        var i = 0
        let n = raw.count
        while i < n {
            let c = raw[i]
            if c != 0x5C { emit(c); i += 1; continue }
            let e = raw[i + 1]
            i += 2
            switch e {
            case 0x62: emit(0x08)
            case 0x66: emit(0x0C)
            case 0x6E: emit(0x0A)
            case 0x72: emit(0x0D)
            case 0x74: emit(0x09)
            case 0x75:
                var scalar = hex4(raw, i)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = hex4(raw, i + 2)  // validated: "\uDCxx" follows
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                emitUTF8(scalar, emit)
            default: emit(e)  // " \ /
            }
        }
    }

    @inline(__always)
    static func hex4(_ raw: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | UInt32(Hex.value(raw[i + k], lowercaseOnly: false) ?? 0) }
        return v
    }

    @inline(__always)
    static func emitUTF8(_ s: UInt32, _ emit: (UInt8) -> Void) {
        if s < 0x80 {
            emit(UInt8(s))
        } else if s < 0x800 {
            emit(UInt8(0xC0 | s >> 6)); emit(UInt8(0x80 | s & 0x3F))
        } else if s < 0x10000 {
            emit(UInt8(0xE0 | s >> 12)); emit(UInt8(0x80 | (s >> 6) & 0x3F)); emit(UInt8(0x80 | s & 0x3F))
        } else {
            emit(UInt8(0xF0 | s >> 18)); emit(UInt8(0x80 | (s >> 12) & 0x3F))
            emit(UInt8(0x80 | (s >> 6) & 0x3F)); emit(UInt8(0x80 | s & 0x3F))
        }
    }
}
