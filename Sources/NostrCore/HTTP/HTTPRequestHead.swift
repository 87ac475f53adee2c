/// The head of an HTTP/1.1 request as a small server reads it (RFC 9112
/// §3): request line and header fields, by the strict rules of
/// `HTTPFields`. The server answers and closes, so a request body is never
/// read; a request that announces one is refused by the caller.
public struct HTTPRequestHead: Equatable, Sendable {
    /// The method token as sent (case-sensitive, RFC 9110 §9.1).
    public var method: [UInt8]
    /// The request-target (RFC 9112 §3.2), origin-form "/…" or "*".
    public var target: [UInt8]
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var fields: [HTTPField]

    /// The largest head accepted.
    public static let maxBytes = 8 * 1024
    public static let maxFields = 64

    /// Reads the head at the start of `bytes`. nil while the empty line
    /// that ends it has not arrived; `.httpTooLarge` when it is longer than
    /// `maxBytes` or has more than `maxFields` fields; `.httpRequest` at
    /// the offending byte for anything malformed:
    /// request-line = method SP request-target SP HTTP-version CRLF,
    /// with a token method, a target of visible ASCII only, and
    /// "HTTP/1.1" or "HTTP/1.0". RFC 9112 §2.2 lets a server skip empty
    /// lines before the request line; this one does not.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(NostrError) -> (head: HTTPRequestHead, length: Int)? {
        guard let lineEnd = try HTTPFields.lineEnd(bytes, from: 0, limit: maxBytes, base: 0, error: .httpRequest) else {
            if bytes.count >= maxBytes { throw NostrError(.httpTooLarge, at: maxBytes) }
            return nil
        }
        // Request line.
        var i = 0
        var method: [UInt8] = []
        while i < lineEnd && bytes[i] != 0x20 {
            guard HTTPFields.isTokenByte(bytes[i]) else { throw NostrError(.httpRequest, at: i) }
            method.append(bytes[i])
            i += 1
        }
        guard !method.isEmpty, i < lineEnd else { throw NostrError(.httpRequest, at: i) }
        i += 1
        var target: [UInt8] = []
        while i < lineEnd && bytes[i] != 0x20 {
            let c = bytes[i]
            guard c > 0x20 && c < 0x7F else { throw NostrError(.httpRequest, at: i) }
            target.append(c)
            i += 1
        }
        guard !target.isEmpty, i < lineEnd else { throw NostrError(.httpRequest, at: i) }
        i += 1
        let version: [UInt8] = Array("HTTP/1.".utf8)
        guard lineEnd - i == 8, (0..<7).allSatisfy({ bytes[i + $0] == version[$0] }),
            bytes[i + 7] == 0x30 || bytes[i + 7] == 0x31
        else { throw NostrError(.httpRequest, at: i) }
        let minor = Int(bytes[i + 7] - 0x30)
        // Fields, up to the empty line.
        var fields: [HTTPField] = []
        var start = lineEnd + 2
        while true {
            guard let end = try HTTPFields.lineEnd(bytes, from: start, limit: maxBytes, base: 0, error: .httpRequest) else {
                if bytes.count >= maxBytes { throw NostrError(.httpTooLarge, at: maxBytes) }
                return nil
            }
            if end == start { break }
            guard fields.count < maxFields else { throw NostrError(.httpTooLarge, at: start) }
            fields.append(try HTTPFields.parseLine(bytes, start, end, base: 0, error: .httpRequest))
            start = end + 2
        }
        return (HTTPRequestHead(method: method, target: target, minorVersion: minor, fields: fields), start + 2)
    }

    public static func parse(_ bytes: [UInt8]) throws(NostrError) -> (head: HTTPRequestHead, length: Int)? {
        try bytes.withBytes { (p) throws(NostrError) in try parse(p) }
    }

    /// The request announces a body (Content-Length other than 0, or any
    /// Transfer-Encoding, RFC 9112 §6.1–6.2).
    public var announcesBody: Bool {
        if !HTTPFields.values(fields, "transfer-encoding").isEmpty { return true }
        return HTTPFields.values(fields, "content-length").contains { !$0.allSatisfy { $0 == 0x30 } || $0.isEmpty }
    }

    /// The path of the target without its query ("/a?b" -> "/a").
    public var path: [UInt8] {
        if let q = target.firstIndex(of: 0x3F) { return Array(target[..<q]) }
        return target
    }
}
