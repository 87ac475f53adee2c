/// Limits of what one HTTP message may use.
public struct HTTPLimits: Sendable {
    /// The status line and the header section together (also the trailer
    /// section of a chunked body).
    public var maxHeadBytes = 16 * 1024
    /// Header fields (and trailer fields) per message.
    public var maxFields = 100
    /// The decoded body.
    public var maxBodyBytes = 1 << 20
    /// One chunk-size line (RFC 9112 §7.1), extensions included.
    public var maxChunkLineBytes = 256

    public init() {}
}

/// A complete HTTP/1.x response.
public struct HTTPResponse: Sendable {
    /// 200…599 (interim 1xx responses are skipped by the parser).
    public var status: Int
    /// The reason phrase as sent (RFC 9112 §4: clients ignore it).
    public var reason: [UInt8]
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var fields: [HTTPField]
    /// The body, decoded from its framing (Content-Length, chunked, or
    /// read until the connection closed).
    public var body: [UInt8]
    /// Fields of a chunked body's trailer section (RFC 9112 §7.1.2).
    public var trailers: [HTTPField]

    public init(status: Int, reason: [UInt8], minorVersion: Int, fields: [HTTPField], body: [UInt8], trailers: [HTTPField]) {
        self.status = status
        self.reason = reason
        self.minorVersion = minorVersion
        self.fields = fields
        self.body = body
        self.trailers = trailers
    }
}

/// An incremental, strict reader of one HTTP/1.1 response (RFC 9112), sans
/// I/O: `feed` the bytes as they arrive until it returns true, and call
/// `finish()` when the connection reaches end of file.
///
/// Framing (RFC 9112 §6.3), in this order: no body after a HEAD request and
/// for 204 and 304; `Transfer-Encoding: chunked` (the only coding taken: any
/// other is refused, as is chunked together with Content-Length, which §6.3
/// calls a possible smuggling attempt, and Transfer-Encoding in an
/// HTTP/1.0 response, §6.1); Content-Length (every copy must be the same
/// decimal number); otherwise the body runs until the server closes.
/// Interim 1xx responses are skipped (RFC 9110 §15.2), except 101, which
/// nobody asked for. Bytes after the end of the response are an error: the
/// client sends one request per connection.
///
/// Errors: `.httpResponse` at the offending byte (offset from the start of
/// the stream), `.httpTooLarge` when a limit of `HTTPLimits` is passed.
public struct HTTPResponseParser: Sendable {
    enum State: Equatable, Sendable {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailers
        case untilClose
        case done
    }

    public let limits: HTTPLimits
    /// The request was HEAD: the response has no body whatever it says.
    public let requestWasHead: Bool
    var state = State.head
    var buffer: [UInt8] = []
    /// Bytes of the stream dropped from the front of `buffer`.
    var dropped = 0
    /// Index in `buffer` of the first byte not yet consumed.
    var position = 0
    /// Where the current head (or trailer section) started in `buffer`.
    var sectionStart = 0
    var status = 0
    var minor = 1
    var reason: [UInt8] = []
    var fields: [HTTPField] = []
    var trailers: [HTTPField] = []
    var body: [UInt8] = []
    var sawStatusLine = false

    public init(limits: HTTPLimits = HTTPLimits(), requestWasHead: Bool = false) {
        self.limits = limits
        self.requestWasHead = requestWasHead
    }

    /// The response, once complete.
    public var response: HTTPResponse? {
        guard state == .done else { return nil }
        return HTTPResponse(status: status, reason: reason, minorVersion: minor, fields: fields, body: body, trailers: trailers)
    }

    public var isComplete: Bool { state == .done }

    /// Takes the next bytes from the connection. Returns true once the
    /// response is complete.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(NostrError) -> Bool {
        if bytes.isEmpty { return state == .done }
        guard state != .done else { throw NostrError(.httpResponse, at: dropped + buffer.count) }
        buffer.append(contentsOf: bytes)
        try advance()
        return state == .done
    }

    public mutating func feed(_ bytes: [UInt8]) throws(NostrError) -> Bool {
        try bytes.withBytes { (p) throws(NostrError) in try feed(p) }
    }

    /// The connection reached end of file. Returns true when that ends the
    /// response (a body read until close, or a response already complete);
    /// throws `.httpResponse` for a response cut short.
    @discardableResult
    public mutating func finish() throws(NostrError) -> Bool {
        switch state {
        case .done:
            return true
        case .untilClose:
            state = .done
            return true
        default:
            throw NostrError(.httpResponse, at: dropped + buffer.count)
        }
    }

    // MARK: Steps

    mutating func advance() throws(NostrError) {
        var progress = true
        while progress && state != .done {
            progress = try step()
        }
        if state == .done && position < buffer.count {
            throw NostrError(.httpResponse, at: dropped + position)  // bytes after the response
        }
        // Forget what is consumed, so a long body does not keep its framing.
        if position > 0 && (position == buffer.count || position >= 4096) {
            let shift = position
            buffer.removeFirst(shift)
            dropped += shift
            position = 0
            sectionStart = max(0, sectionStart - shift)
        }
    }

    /// One step; false when more input is needed.
    mutating func step() throws(NostrError) -> Bool {
        switch state {
        case .head: return try readHeadLine()
        case .fixed(let remaining): return try readFixed(remaining)
        case .chunkSize: return try readChunkSize()
        case .chunkData(let remaining): return try readChunkData(remaining)
        case .chunkEnd: return try readChunkEnd()
        case .trailers: return try readTrailerLine()
        case .untilClose: return try readUntilClose()
        case .done: return false
        }
    }

    /// The next line within the section that started at `sectionStart`,
    /// as (start, end) indexes in `buffer`; nil when incomplete.
    mutating func nextLine() throws(NostrError) -> (Int, Int)? {
        let limit = sectionStart + limits.maxHeadBytes
        let base = dropped
        let start = position
        let end: Int? = try buffer.withBytes { (p) throws(NostrError) -> Int? in
            try HTTPFields.lineEnd(p, from: start, limit: limit, base: base, error: .httpResponse)
        }
        guard let end else {
            if buffer.count >= limit { throw NostrError(.httpTooLarge, at: dropped + limit) }
            return nil
        }
        position = end + 2
        return (start, end)
    }

    mutating func readHeadLine() throws(NostrError) -> Bool {
        guard let (start, end) = try nextLine() else { return false }
        if !sawStatusLine {
            try parseStatusLine(start, end)
            sawStatusLine = true
            return true
        }
        if start == end { return try endOfHead() }
        guard fields.count < limits.maxFields else { throw NostrError(.httpTooLarge, at: dropped + start) }
        let base = dropped
        let field = try buffer.withBytes { (p) throws(NostrError) -> HTTPField in
            try HTTPFields.parseLine(p, start, end, base: base, error: .httpResponse)
        }
        fields.append(field)
        return true
    }

    /// status-line = HTTP-version SP status-code SP [ reason-phrase ]
    /// (RFC 9112 §4); HTTP-version is "HTTP/1.1" or "HTTP/1.0" (case-sensitive, §2.3).
    mutating func parseStatusLine(_ start: Int, _ end: Int) throws(NostrError) {
        let line = buffer[start..<end]
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        guard line.count >= 12, line.prefix(7).elementsEqual(prefix) else { throw NostrError(.httpResponse, at: dropped + start) }
        let v = buffer[start + 7]
        guard v == 0x30 || v == 0x31 else { throw NostrError(.httpResponse, at: dropped + start + 7) }
        minor = Int(v - 0x30)
        guard buffer[start + 8] == 0x20 else { throw NostrError(.httpResponse, at: dropped + start + 8) }
        var code = 0
        for i in (start + 9)..<(start + 12) {
            let c = buffer[i]
            guard c >= 0x30 && c <= 0x39 else { throw NostrError(.httpResponse, at: dropped + i) }
            code = code * 10 + Int(c - 0x30)
        }
        guard code >= 100 && code <= 599 else { throw NostrError(.httpResponse, at: dropped + start + 9) }
        status = code
        reason = []
        if end > start + 12 {
            guard buffer[start + 12] == 0x20 else { throw NostrError(.httpResponse, at: dropped + start + 12) }
            for i in (start + 13)..<end {
                guard HTTPFields.isValueByte(buffer[i]) else { throw NostrError(.httpResponse, at: dropped + i) }
                reason.append(buffer[i])
            }
        }
    }

    /// The empty line after the fields: chooses the framing (RFC 9112 §6.3).
    mutating func endOfHead() throws(NostrError) -> Bool {
        let at = dropped + position
        if status < 200 {
            // RFC 9110 §15.2: interim responses; 101 switches protocols,
            // which this client never asks for.
            guard status != 101 else { throw NostrError(.httpResponse, at: at) }
            fields = []
            sawStatusLine = false
            sectionStart = position
            return true
        }
        let encodings = HTTPFields.values(fields, "transfer-encoding")
        let lengths = HTTPFields.values(fields, "content-length")
        if requestWasHead || status == 204 || status == 304 {
            state = .done
            return true
        }
        if !encodings.isEmpty {
            guard minor == 1, encodings.count == 1, lengths.isEmpty,
                HTTPFields.equalsIgnoringCase(encodings[0], "chunked")
            else { throw NostrError(.httpResponse, at: at) }
            state = .chunkSize
            return true
        }
        if !lengths.isEmpty {
            guard let n = HTTPFields.decimal(lengths[0]), lengths.allSatisfy({ $0 == lengths[0] }) else {
                throw NostrError(.httpResponse, at: at)
            }
            guard n <= limits.maxBodyBytes else { throw NostrError(.httpTooLarge, at: at) }
            body.reserveCapacity(n)
            state = n == 0 ? .done : .fixed(remaining: n)
            return true
        }
        state = .untilClose
        return true
    }

    mutating func readFixed(_ remaining: Int) throws(NostrError) -> Bool {
        let n = min(remaining, buffer.count - position)
        guard n > 0 else { return false }
        body.append(contentsOf: buffer[position..<(position + n)])
        position += n
        state = remaining == n ? .done : .fixed(remaining: remaining - n)
        return true
    }

    /// chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1): 1 to 8 hex digits,
    /// then nothing or extensions starting with ";" (read and ignored).
    mutating func readChunkSize() throws(NostrError) -> Bool {
        let start = position
        let limit = start + limits.maxChunkLineBytes
        let base = dropped
        let end: Int? = try buffer.withBytes { (p) throws(NostrError) -> Int? in
            try HTTPFields.lineEnd(p, from: start, limit: limit, base: base, error: .httpResponse)
        }
        guard let end else {
            if buffer.count >= limit { throw NostrError(.httpResponse, at: dropped + limit) }
            return false
        }
        var i = start
        var size = 0
        while i < end, let d = Hex.value(buffer[i], lowercaseOnly: false) {
            guard i - start < 8 else { throw NostrError(.httpResponse, at: dropped + i) }
            size = size * 16 + Int(d)
            i += 1
        }
        guard i > start else { throw NostrError(.httpResponse, at: dropped + i) }
        if i < end {
            var k = i
            while k < end && (buffer[k] == 0x20 || buffer[k] == 0x09) { k += 1 }
            guard k < end, buffer[k] == 0x3B else { throw NostrError(.httpResponse, at: dropped + k) }  // ";"
            for j in k..<end where !HTTPFields.isValueByte(buffer[j]) { throw NostrError(.httpResponse, at: dropped + j) }
        }
        position = end + 2
        if size == 0 {
            state = .trailers
            sectionStart = position
            return true
        }
        guard body.count + size <= limits.maxBodyBytes else { throw NostrError(.httpTooLarge, at: dropped + start) }
        state = .chunkData(remaining: size)
        return true
    }

    mutating func readChunkData(_ remaining: Int) throws(NostrError) -> Bool {
        let n = min(remaining, buffer.count - position)
        guard n > 0 else { return false }
        body.append(contentsOf: buffer[position..<(position + n)])
        position += n
        state = remaining == n ? .chunkEnd : .chunkData(remaining: remaining - n)
        return true
    }

    /// The CRLF after chunk-data.
    mutating func readChunkEnd() throws(NostrError) -> Bool {
        guard buffer.count - position >= 2 else {
            if position < buffer.count && buffer[position] != 0x0D { throw NostrError(.httpResponse, at: dropped + position) }
            return false
        }
        guard buffer[position] == 0x0D, buffer[position + 1] == 0x0A else {
            throw NostrError(.httpResponse, at: dropped + position)
        }
        position += 2
        state = .chunkSize
        return true
    }

    /// trailer-section CRLF (RFC 9112 §7.1.2): field lines, then an empty line.
    mutating func readTrailerLine() throws(NostrError) -> Bool {
        guard let (start, end) = try nextLine() else { return false }
        if start == end {
            state = .done
            return true
        }
        guard trailers.count < limits.maxFields else { throw NostrError(.httpTooLarge, at: dropped + start) }
        let base = dropped
        let field = try buffer.withBytes { (p) throws(NostrError) -> HTTPField in
            try HTTPFields.parseLine(p, start, end, base: base, error: .httpResponse)
        }
        trailers.append(field)
        return true
    }

    mutating func readUntilClose() throws(NostrError) -> Bool {
        let n = buffer.count - position
        guard n > 0 else { return false }
        guard body.count + n <= limits.maxBodyBytes else { throw NostrError(.httpTooLarge, at: dropped + position) }
        body.append(contentsOf: buffer[position...])
        position = buffer.count
        return true
    }
}
