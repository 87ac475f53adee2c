/// An https URL of an npub name (RFC 3986 §3 syntax, RFC 9110 §4.2.2 "https"):
/// `https://<npub>.nostr[:port][/path][?query]`, also
/// `<label>.<npub>.nostr` and `<npub>.local`.
public struct HTTPSURL: Equatable, Sendable {
    public var name: NostrName
    /// The host as written, lowercased, without a trailing dot.
    public var host: String
    public var port: UInt16
    /// The request target: path and query, "/" when the URL has none; the
    /// fragment is dropped (it is never sent, RFC 9110 §7.1).
    public var target: String

    public static let defaultPort: UInt16 = 443

    /// `.url` for anything else: another scheme, userinfo ("user@"), a host
    /// that is not an npub name (a bare npub is not a host), a port that is
    /// not 1–65535, or a path with spaces, controls or non-ASCII bytes
    /// (percent-encode them).
    public init(parsing text: String) throws(NostrError) {
        let bytes = Array(text.utf8)
        let scheme: [UInt8] = Array("https://".utf8)
        guard bytes.count > scheme.count,
            (0..<scheme.count).allSatisfy({ (bytes[$0] | (bytes[$0] >= 0x41 && bytes[$0] <= 0x5A ? 0x20 : 0)) == scheme[$0] })
        else { throw NostrError(.url, at: 0) }
        var i = scheme.count
        var authorityEnd = i
        while authorityEnd < bytes.count && bytes[authorityEnd] != 0x2F && bytes[authorityEnd] != 0x3F && bytes[authorityEnd] != 0x23 {
            authorityEnd += 1
        }
        let authority = bytes[i..<authorityEnd]
        guard !authority.contains(0x40) else { throw NostrError(.url, at: i) }  // "@": userinfo
        var hostEnd = authorityEnd
        var port = HTTPSURL.defaultPort
        if let colon = authority.lastIndex(of: 0x3A) {
            hostEnd = colon
            let digits = bytes[(colon + 1)..<authorityEnd]
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw NostrError(.url, at: colon + 1)
            }
            var v = 0
            for d in digits { v = v * 10 + Int(d - 0x30) }
            guard v >= 1 && v <= 65535 else { throw NostrError(.url, at: colon + 1) }
            port = UInt16(v)
        }
        let hostText = String(decoding: bytes[i..<hostEnd], as: UTF8.self)
        let parsed: NostrName
        do throws(NostrError) { parsed = try NostrName(parsing: hostText) } catch { throw NostrError(.url, at: i) }
        guard parsed.zone != .bare else { throw NostrError(.url, at: i) }
        var host = Array(hostText.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        if host.last == 0x2E { host.removeLast() }
        i = authorityEnd
        var target: [UInt8] = []
        while i < bytes.count && bytes[i] != 0x23 {
            let c = bytes[i]
            guard c > 0x20 && c < 0x7F else { throw NostrError(.url, at: i) }
            target.append(c)
            i += 1
        }
        if target.first != 0x2F { target.insert(0x2F, at: 0) }
        self.name = parsed
        self.host = String(decoding: host, as: UTF8.self)
        self.port = port
        self.target = String(decoding: target, as: UTF8.self)
    }

    /// "host" for port 443, else "host:port" (the Host header, RFC 9110 §7.2).
    public var authority: String {
        port == HTTPSURL.defaultPort ? host : host + ":" + String(port)
    }

    public static func == (a: HTTPSURL, b: HTTPSURL) -> Bool {
        a.name == b.name && RecordTags.equal(a.host, b.host) && a.port == b.port && RecordTags.equal(a.target, b.target)
    }
}
