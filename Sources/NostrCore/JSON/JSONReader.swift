/// A strict JSON reader (RFC 8259) that works in place over bytes.
///
/// It validates the whole document in one pass and records a flat "tape" of
/// tokens (offsets into the input, no copies of strings or numbers). Values
/// are decoded only when asked for. The tape and the container stack are
/// kept between parses, so a reused `JSONReader` does not allocate in steady
/// state.
///
/// Strictness (RFC 8259 §2–§8), beyond the grammar itself:
/// - the input must be valid UTF-8 (§8.1): overlong forms, UTF-8-encoded
///   surrogates and code points above U+10FFFF are rejected, and so is a BOM;
/// - `\u` escapes must form valid UTF-16: a lone surrogate is rejected;
/// - raw control characters (below U+0020) inside strings are rejected (§7);
/// - numbers follow §6 exactly; their magnitude is not limited at parse time
///   (a value is range-checked only when it is read as an integer);
/// - nesting deeper than `limits.maxDepth`, documents larger than
///   `limits.maxBytes`, or more than `limits.maxValues` values are rejected;
/// - anything but whitespace after the value is rejected.

public enum JSONKind: UInt8, Sendable {
    case object, array, string, number, `true`, `false`, null
}

/// One value on the tape.
public struct JSONToken: Sendable {
    public var kind: JSONKind
    /// For strings: true when the raw bytes contain a backslash escape.
    public var escaped: Bool
    /// Strings: offset just after the opening quote. Others: first byte.
    public var start: Int32
    /// Strings: offset of the closing quote. Numbers and literals: one past
    /// the last byte. Containers: index of the first token after the
    /// container's last descendant (so children are `index+1 ..< end`).
    public var end: Int32
    /// Containers: number of elements (arrays) or members (objects).
    public var count: Int32
}

public struct JSONLimits: Sendable {
    public var maxDepth: Int
    public var maxBytes: Int
    public var maxValues: Int

    public init(maxDepth: Int = 32, maxBytes: Int = 1 << 20, maxValues: Int = 1 << 16) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.maxValues = maxValues
    }
}

public struct JSONReader {
    public var limits: JSONLimits
    /// The tape of the last successful parse. Token 0 is the root value.
    public private(set) var tokens: [JSONToken] = []
    @usableFromInline var stack: [Int32] = []

    public init(limits: JSONLimits = JSONLimits()) {
        self.limits = limits
        stack.reserveCapacity(limits.maxDepth)
    }

    /// Parses `input` into `tokens`; throws with the offset of the first error.
    public mutating func parse(_ input: UnsafeRawBufferPointer) throws(NostrError) {
        tokens.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        guard input.count <= limits.maxBytes else { throw NostrError(.jsonTooLarge) }
        guard input.count < Int(Int32.max) else { throw NostrError(.jsonTooLarge) }
        var p = JSONScanner(input: input)
        p.skipWhitespace()
        // Iterative descent: `stack` holds the token index of each open container.
        var expectValue = true
        while true {
            if expectValue {
                // A container that opens is continued here, with its first
                // child, rather than by recursion: depth costs no stack.
                if try parseValue(&p) { continue }
            }
            // After a value: close containers or expect a separator.
            p.skipWhitespace()
            guard let top = stack.last else { break }
            let container = tokens[Int(top)]
            guard p.pos < p.end else { throw NostrError(.jsonSyntax, at: p.pos) }
            let c = p.byte(p.pos)
            if c == 0x2C {  // ,
                p.pos &+= 1
                p.skipWhitespace()
                tokens[Int(top)].count &+= 1
                if container.kind == .object { try parseKey(&p) }
                expectValue = true
            } else if (c == 0x5D && container.kind == .array) || (c == 0x7D && container.kind == .object) {
                p.pos &+= 1
                tokens[Int(top)].end = Int32(tokens.count)
                stack.removeLast()
                expectValue = false
            } else {
                throw NostrError(.jsonSyntax, at: p.pos)
            }
        }
        p.skipWhitespace()
        guard p.pos == p.end else { throw NostrError(.jsonTrailingBytes, at: p.pos) }
    }

    public mutating func parse(_ input: [UInt8]) throws(NostrError) {
        try input.withBytes { (p) throws(NostrError) in try parse(p) }
    }

    @inline(__always)
    mutating func push(_ token: JSONToken) throws(NostrError) {
        guard tokens.count < limits.maxValues else { throw NostrError(.jsonTooManyValues, at: Int(token.start)) }
        tokens.append(token)
    }

    /// Parses one value, or opens a container: then it returns true and the
    /// container is left on the stack (with its first key already read, for
    /// objects), for `parse` to continue with its first child.
    mutating func parseValue(_ p: inout JSONScanner) throws(NostrError) -> Bool {
        guard p.pos < p.end else { throw NostrError(.jsonSyntax, at: p.pos) }
        let start = p.pos
        switch p.byte(start) {
        case 0x7B, 0x5B:  // { [
            let isObject = p.byte(start) == 0x7B
            guard stack.count < limits.maxDepth else { throw NostrError(.jsonDepth, at: start) }
            try push(JSONToken(kind: isObject ? .object : .array, escaped: false, start: Int32(start), end: 0, count: 0))
            let index = Int32(tokens.count - 1)
            p.pos &+= 1
            p.skipWhitespace()
            guard p.pos < p.end else { throw NostrError(.jsonSyntax, at: p.pos) }
            let close: UInt8 = isObject ? 0x7D : 0x5D
            if p.byte(p.pos) == close {
                p.pos &+= 1
                tokens[Int(index)].end = index &+ 1
                return false
            }
            stack.append(index)
            tokens[Int(index)].count = 1
            if isObject { try parseKey(&p) }
            return true
        case 0x22:  // "
            let (endQuote, escaped) = try p.scanString()
            try push(JSONToken(kind: .string, escaped: escaped, start: Int32(start + 1), end: Int32(endQuote), count: 0))
        case 0x2D, 0x30...0x39:
            try p.scanNumber()
            try push(JSONToken(kind: .number, escaped: false, start: Int32(start), end: Int32(p.pos), count: 0))
        case 0x74:
            try p.expectLiteral(0x74_72_75_65, length: 4)  // true
            try push(JSONToken(kind: .true, escaped: false, start: Int32(start), end: Int32(p.pos), count: 0))
        case 0x66:
            try p.expectFalse()
            try push(JSONToken(kind: .false, escaped: false, start: Int32(start), end: Int32(p.pos), count: 0))
        case 0x6E:
            try p.expectLiteral(0x6E_75_6C_6C, length: 4)  // null
            try push(JSONToken(kind: .null, escaped: false, start: Int32(start), end: Int32(p.pos), count: 0))
        default:
            throw NostrError(.jsonSyntax, at: start)
        }
        return false
    }

    /// Reads `"key" :` inside an object.
    mutating func parseKey(_ p: inout JSONScanner) throws(NostrError) {
        guard p.pos < p.end, p.byte(p.pos) == 0x22 else { throw NostrError(.jsonSyntax, at: p.pos) }
        let start = p.pos
        let (endQuote, escaped) = try p.scanString()
        try push(JSONToken(kind: .string, escaped: escaped, start: Int32(start + 1), end: Int32(endQuote), count: 0))
        p.skipWhitespace()
        guard p.pos < p.end, p.byte(p.pos) == 0x3A else { throw NostrError(.jsonSyntax, at: p.pos) }
        p.pos &+= 1
        p.skipWhitespace()
    }
}

/// The byte-level scanner: a cursor over the input with a bounds check
/// before every read.
@usableFromInline
struct JSONScanner {
    let input: UnsafeRawBufferPointer
    var pos: Int = 0
    let end: Int

    init(input: UnsafeRawBufferPointer) {
        self.input = input
        self.end = input.count
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { input[i] }

    /// RFC 8259 §2: whitespace is space, tab, line feed, carriage return.
    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let c = input[pos]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            pos &+= 1
        }
    }

    mutating func expectLiteral(_ packed: UInt32, length: Int) throws(NostrError) {
        guard end - pos >= length else { throw NostrError(.jsonSyntax, at: pos) }
        var v: UInt32 = 0
        for i in 0..<length { v = v << 8 | UInt32(input[pos + i]) }
        guard v == packed else { throw NostrError(.jsonSyntax, at: pos) }
        pos &+= length
    }

    mutating func expectFalse() throws(NostrError) {
        guard end - pos >= 5, input[pos + 4] == 0x65 else { throw NostrError(.jsonSyntax, at: pos) }
        try expectLiteral(0x66_61_6C_73, length: 4)  // "fals"
        pos &+= 1
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func scanNumber() throws(NostrError) {
        let start = pos
        if input[pos] == 0x2D { pos &+= 1 }
        guard pos < end else { throw NostrError(.jsonSyntax, at: start) }
        if input[pos] == 0x30 {
            pos &+= 1
        } else if input[pos] >= 0x31 && input[pos] <= 0x39 {
            while pos < end && isDigit(input[pos]) { pos &+= 1 }
        } else {
            throw NostrError(.jsonSyntax, at: pos)
        }
        if pos < end && input[pos] == 0x2E {
            pos &+= 1
            guard pos < end && isDigit(input[pos]) else { throw NostrError(.jsonSyntax, at: pos) }
            while pos < end && isDigit(input[pos]) { pos &+= 1 }
        }
        if pos < end && (input[pos] == 0x65 || input[pos] == 0x45) {
            pos &+= 1
            if pos < end && (input[pos] == 0x2B || input[pos] == 0x2D) { pos &+= 1 }
            guard pos < end && isDigit(input[pos]) else { throw NostrError(.jsonSyntax, at: pos) }
            while pos < end && isDigit(input[pos]) { pos &+= 1 }
        }
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    /// Scans a string starting at its opening quote; returns the offset of
    /// the closing quote and whether it contains escapes. Validates UTF-8
    /// (RFC 3629 §4 table) and escapes (RFC 8259 §7), leaving `pos` after
    /// the closing quote.
    mutating func scanString() throws(NostrError) -> (Int, Bool) {
        pos &+= 1
        var escaped = false
        while pos < end {
            let c = input[pos]
            if c == 0x22 {
                let close = pos
                pos &+= 1
                return (close, escaped)
            } else if c == 0x5C {
                escaped = true
                try scanEscape()
            } else if c < 0x20 {
                throw NostrError(.jsonSyntax, at: pos)
            } else if c < 0x80 {
                pos &+= 1
            } else {
                try scanUTF8()
            }
        }
        throw NostrError(.jsonSyntax, at: pos)
    }

    mutating func scanEscape() throws(NostrError) {
        let at = pos
        guard pos + 1 < end else { throw NostrError(.jsonBadEscape, at: at) }
        switch input[pos + 1] {
        case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
            pos &+= 2
        case 0x75:  // \uXXXX
            let unit = try hex4(pos + 2)
            pos &+= 6
            if unit >= 0xD800 && unit <= 0xDBFF {
                // A high surrogate must be followed by an escaped low surrogate.
                guard pos + 1 < end, input[pos] == 0x5C, input[pos + 1] == 0x75 else { throw NostrError(.jsonBadEscape, at: at) }
                let low = try hex4(pos + 2)
                guard low >= 0xDC00 && low <= 0xDFFF else { throw NostrError(.jsonBadEscape, at: at) }
                pos &+= 6
            } else if unit >= 0xDC00 && unit <= 0xDFFF {
                throw NostrError(.jsonBadEscape, at: at)
            }
        default:
            throw NostrError(.jsonBadEscape, at: at)
        }
    }

    func hex4(_ i: Int) throws(NostrError) -> UInt32 {
        guard i + 4 <= end else { throw NostrError(.jsonBadEscape, at: i) }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let d = Hex.value(input[i + k], lowercaseOnly: false) else { throw NostrError(.jsonBadEscape, at: i) }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// One multi-byte UTF-8 sequence at `pos` (lead byte >= 0x80),
    /// checked by the rules of `UTF8Validation`.
    mutating func scanUTF8() throws(NostrError) {
        guard let length = UTF8Validation.sequenceLength(input, at: pos, end: end) else { throw NostrError(.jsonBadUTF8, at: pos) }
        pos &+= length
    }
}
