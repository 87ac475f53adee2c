/// The client side of the WebSocket opening handshake (RFC 6455 §4.1, §4.2.2):
/// the HTTP/1.1 upgrade request, and the checks on the server's response head.
public enum WebSocketHandshake {
    /// The GUID appended to the key before hashing (§1.3, §4.2.2 item 5.4).
    static let guid: StaticString = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Sec-WebSocket-Accept for a Sec-WebSocket-Key (§4.2.2 item 5.4):
    /// base64(SHA-1(key + GUID)), with `key` the base64 text as sent.
    public static func accept(forKey key: UnsafeRawBufferPointer) -> [UInt8] {
        var input: [UInt8] = []
        input.reserveCapacity(key.count + guid.utf8CodeUnitCount)
        input.append(contentsOf: key)
        input.append(contentsOf: UnsafeBufferPointer(start: guid.utf8Start, count: guid.utf8CodeUnitCount))
        return Base64.encode(SHA1.hash(input))
    }

    public static func accept(forKey key: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { accept(forKey: $0) }
    }

    /// The upgrade request (§4.1): `GET path HTTP/1.1` with Host, Upgrade,
    /// Connection, Sec-WebSocket-Key, Sec-WebSocket-Version 13 and User-Agent,
    /// and no extensions or subprotocols. `key` is the base64 key text.
    ///
    /// `path` becomes the request target: "/" when empty, "/" is prepended
    /// when it starts with "?", and bytes that may not appear in a request
    /// target (controls, space, `#`, DEL, non-ASCII) are percent-encoded
    /// (RFC 3986 §2.1; §3 of RFC 6455 for `#`). Control bytes, space and DEL
    /// are dropped from `hostHeader`, so neither can inject header lines.
    public static func request(hostHeader: String, path: String, key: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + hostHeader.utf8.count + 3 * path.utf8.count)
        appendLiteral("GET ", to: &out)
        var first = true
        for c in path.utf8 {
            if first && c != 0x2F { out.append(0x2F) }  // "/"
            first = false
            if c <= 0x20 || c == 0x23 || c >= 0x7F {
                out.append(0x25)  // "%"
                out.append(hexDigit(c >> 4)); out.append(hexDigit(c & 15))
            } else {
                out.append(c)
            }
        }
        if first { out.append(0x2F) }
        appendLiteral(" HTTP/1.1\r\nHost: ", to: &out)
        for c in hostHeader.utf8 where c > 0x20 && c != 0x7F { out.append(c) }
        appendLiteral("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ", to: &out)
        out.append(contentsOf: key)
        appendLiteral("\r\nSec-WebSocket-Version: 13\r\nUser-Agent: nostr-dns\r\n\r\n", to: &out)
        return out
    }

    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x41 + v - 10 }

    @inline(__always)
    static func appendLiteral(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Finds the end of the response head: the offset just past the empty
    /// line that ends it. Lines end in CRLF or, tolerated (RFC 9112 §2.2), a
    /// bare LF. `scanFrom` is where the previous, unfinished search left off;
    /// it is advanced so that feeding byte by byte stays linear.
    static func headEnd(_ bytes: UnsafeRawBufferPointer, scanFrom: inout Int) -> Int? {
        let n = bytes.count
        var i = scanFrom
        while i < n {
            if bytes[i] == 0x0A {
                guard i + 1 < n else { break }
                if bytes[i + 1] == 0x0A { return i + 2 }
                if bytes[i + 1] == 0x0D {
                    guard i + 2 < n else { break }
                    if bytes[i + 2] == 0x0A { return i + 3 }
                }
            }
            i += 1
        }
        scanFrom = i
        return nil
    }

    /// Checks a complete response head (status line through the empty line)
    /// against §4.1 (the client's requirements on the server's handshake):
    /// 1. the status line is `HTTP/1.1 101` (else `.wsHandshake`; `status`
    ///    receives the code whenever the line has one, e.g. 404);
    /// 2. an `Upgrade` header whose value is the token "websocket",
    ///    case-insensitively (else `.wsHandshake`);
    /// 3. a `Connection` header whose comma-separated list holds the token
    ///    "upgrade", case-insensitively (else `.wsHandshake`);
    /// 4. `Sec-WebSocket-Accept` equal to `expectedAccept` (absent:
    ///    `.wsHandshake`; different: `.wsAcceptMismatch`);
    /// 5–6. no `Sec-WebSocket-Extensions` or `Sec-WebSocket-Protocol` with a
    ///    value: we asked for none (`.wsHandshake`).
    /// Header names are matched ASCII case-insensitively; whitespace around
    /// names and values is ignored, and obsolete line folding (a line that
    /// starts with space or tab continues the previous value) is accepted.
    static func checkResponse(_ head: UnsafeRawBufferPointer, expectedAccept: [UInt8], status: inout Int) throws(NostrError) {
        var lines = LineReader(bytes: head)
        guard let statusLine = lines.next() else { throw NostrError(.wsHandshake, at: 0) }
        status = try parseStatusLine(head, statusLine)
        guard status == 101 else { throw NostrError(.wsHandshake, at: statusLine.lowerBound) }

        var checks = ResponseChecks(expectedAccept: expectedAccept)
        var name: Range<Int>? = nil
        var value: [UInt8] = []
        while let line = lines.next(), !line.isEmpty {
            let c = head[line.lowerBound]
            if c == 0x20 || c == 0x09 {
                // obs-fold: continues the previous field's value.
                guard name != nil else { throw NostrError(.wsHandshake, at: line.lowerBound) }
                let more = trimmed(head, line)
                if !more.isEmpty {
                    if !value.isEmpty { value.append(0x20) }
                    value.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[more]))
                }
                continue
            }
            if let previous = name { try checks.field(UnsafeRawBufferPointer(rebasing: head[previous]), value, at: previous.lowerBound) }
            var colon = line.lowerBound
            while colon < line.upperBound && head[colon] != 0x3A { colon += 1 }
            guard colon < line.upperBound else { throw NostrError(.wsHandshake, at: line.lowerBound) }
            let fieldName = trimmed(head, line.lowerBound..<colon)
            guard !fieldName.isEmpty else { throw NostrError(.wsHandshake, at: line.lowerBound) }
            name = fieldName
            value.removeAll(keepingCapacity: true)
            value.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[trimmed(head, colon + 1..<line.upperBound)]))
        }
        if let previous = name { try checks.field(UnsafeRawBufferPointer(rebasing: head[previous]), value, at: previous.lowerBound) }
        try checks.finish()
    }

    /// `HTTP/1.1 SP 3DIGIT [SP reason]`: returns the status code.
    static func parseStatusLine(_ head: UnsafeRawBufferPointer, _ line: Range<Int>) throws(NostrError) -> Int {
        let version: StaticString = "HTTP/1.1 "
        let v = UnsafeRawBufferPointer(start: version.utf8Start, count: version.utf8CodeUnitCount)
        let start = line.lowerBound
        guard line.count >= v.count + 3 else { throw NostrError(.wsHandshake, at: start) }
        for k in 0..<v.count where head[start + k] != v[k] { throw NostrError(.wsHandshake, at: start + k) }
        var code = 0
        for k in 0..<3 {
            let d = head[start + v.count + k]
            guard d >= 0x30 && d <= 0x39 else { throw NostrError(.wsHandshake, at: start + v.count + k) }
            code = code * 10 + Int(d - 0x30)
        }
        let after = start + v.count + 3
        guard after == line.upperBound || head[after] == 0x20 else { throw NostrError(.wsHandshake, at: after) }
        return code
    }

    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }

    /// `range` without leading and trailing spaces, tabs and CRs.
    static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi && isSpace(bytes[lo]) { lo += 1 }
        while hi > lo && isSpace(bytes[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }

    /// ASCII case-insensitive equality with a lowercase literal.
    static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let p = literal.utf8Start
        for k in 0..<bytes.count where lower(bytes[k]) != p[k] { return false }
        return true
    }

    /// Byte-wise equality (case-sensitive: base64 is).
    static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<a.count where a[k] != b[k] { return false }
        return true
    }

    /// Whether the comma-separated list `value` holds `token` (a lowercase
    /// literal), ASCII case-insensitively, ignoring whitespace around items.
    static func listContains(_ value: UnsafeRawBufferPointer, _ token: StaticString) -> Bool {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != 0x2C { end += 1 }
            let item = trimmed(value, start..<end)
            if equalsLowercase(UnsafeRawBufferPointer(rebasing: value[item]), token) { return true }
            start = end + 1
        }
        return false
    }
}

/// The lines of a head: ranges without their CRLF or LF.
struct LineReader {
    let bytes: UnsafeRawBufferPointer
    var pos = 0

    mutating func next() -> Range<Int>? {
        guard pos < bytes.count else { return nil }
        var i = pos
        while i < bytes.count && bytes[i] != 0x0A { i += 1 }
        var end = i
        if end > pos && bytes[end - 1] == 0x0D { end -= 1 }
        defer { pos = i + 1 }
        return pos..<end
    }
}

/// What the response's header fields have shown so far (§4.1 items 2–6).
struct ResponseChecks {
    let expectedAccept: [UInt8]
    var upgrade = false
    var connection = false
    var acceptSeen = false
    var acceptWrong = false

    mutating func field(_ name: UnsafeRawBufferPointer, _ value: [UInt8], at offset: Int) throws(NostrError) {
        typealias H = WebSocketHandshake
        try value.withBytes { (v) throws(NostrError) in
            if H.equalsLowercase(name, "upgrade") {
                if H.listContains(v, "websocket") { upgrade = true }
            } else if H.equalsLowercase(name, "connection") {
                if H.listContains(v, "upgrade") { connection = true }
            } else if H.equalsLowercase(name, "sec-websocket-accept") {
                acceptSeen = true
                if !H.equal(v, expectedAccept) { acceptWrong = true }
            } else if H.equalsLowercase(name, "sec-websocket-extensions") || H.equalsLowercase(name, "sec-websocket-protocol") {
                // §4.1 items 5 and 6: we offered no extension and no subprotocol.
                if !v.isEmpty { throw NostrError(.wsHandshake, at: offset) }
            }
        }
    }

    func finish() throws(NostrError) {
        guard upgrade, connection, acceptSeen else { throw NostrError(.wsHandshake) }
        guard !acceptWrong else { throw NostrError(.wsAcceptMismatch) }
    }
}
