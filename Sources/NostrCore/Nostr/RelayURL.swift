/// A relay address: `ws://` and `wss://` (RFC 6455 §3, "WebSocket URIs"),
/// and `wsn://<npub>@host:port` (the Design article, "Relays and transports"),
/// whose transport is authenticated by the relay's key instead of a CA.
///
/// Parsed strictly: a host (a name, an IPv4 address, or an IPv6 address in
/// brackets, RFC 3986 §3.2.2), an optional port 1–65535, an optional path
/// with query; no fragment (RFC 6455 §3: "Fragment identifiers are
/// meaningless in the context of WebSocket URIs"). Scheme and host are
/// compared case-insensitively and kept in lowercase.
public struct RelayURL: Equatable, Sendable {
    public enum Scheme: Equatable, Sendable { case ws, wss, wsn }

    public var scheme: Scheme
    /// Host name or address, without brackets, lowercase.
    public var host: String
    public var port: UInt16
    /// Request target, "/" when the URL has no path.
    public var path: String
    /// For `wsn://`: the relay's x-only public key, from the npub before `@`.
    public var relayKey: Bytes32?
    /// The URL as the user wrote it, for messages.
    public var text: String

    /// Longest URL accepted; relay URLs are short.
    public static let maxLength = 2048

    public init(parsing input: String) throws(NostrError) {
        let bytes = Array(input.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maxLength else { throw NostrError(.relayURL) }
        var i = 0
        // Scheme.
        guard let colon = bytes.firstIndex(of: 0x3A), colon + 2 < bytes.count,
            bytes[colon + 1] == 0x2F, bytes[colon + 2] == 0x2F
        else { throw NostrError(.relayURL, at: 0) }
        let scheme = ASCII.lowercased(bytes[0..<colon])
        switch scheme {
        case Array("ws".utf8): self.scheme = .ws
        case Array("wss".utf8): self.scheme = .wss
        case Array("wsn".utf8): self.scheme = .wsn
        default: throw NostrError(.relayURL, at: 0)
        }
        i = colon + 3
        // Authority ends at "/", "?" or the end; a "#" anywhere is refused.
        guard !bytes.contains(0x23) else { throw NostrError(.relayURL, at: bytes.firstIndex(of: 0x23)!) }
        var end = i
        while end < bytes.count && bytes[end] != 0x2F && bytes[end] != 0x3F { end += 1 }
        var authority = Array(bytes[i..<end])
        // Userinfo: only wsn:// carries one, the relay's npub.
        relayKey = nil
        if let at = authority.firstIndex(of: 0x40) {
            guard self.scheme == .wsn else { throw NostrError(.relayURL, at: i + at) }
            let npub = String(decoding: ASCII.lowercased(authority[0..<at]), as: UTF8.self)
            do throws(NostrError) {
                relayKey = try NIP19.decodeNpub(npub)
            } catch {
                throw NostrError(.relayURL, at: i)
            }
            authority.removeFirst(at + 1)
            i += at + 1
        }
        // Host and port.
        var hostBytes: [UInt8]
        var portBytes: ArraySlice<UInt8> = []
        if authority.first == 0x5B {  // "[" IPv6 "]"
            guard let close = authority.firstIndex(of: 0x5D) else { throw NostrError(.relayURL, at: i) }
            hostBytes = Array(authority[1..<close])
            let rest = authority[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == 0x3A else { throw NostrError(.relayURL, at: i + close + 1) }
                portBytes = rest.dropFirst()
            }
            guard !hostBytes.isEmpty, hostBytes.allSatisfy({ Hex.value($0, lowercaseOnly: false) != nil || $0 == 0x3A || $0 == 0x2E })
            else { throw NostrError(.relayURL, at: i) }
        } else {
            if let c = authority.firstIndex(of: 0x3A) {
                hostBytes = Array(authority[0..<c])
                portBytes = authority[(c + 1)...]
            } else {
                hostBytes = authority
            }
            guard Self.isHostName(hostBytes) else { throw NostrError(.relayURL, at: i) }
        }
        host = String(decoding: ASCII.lowercased(hostBytes[...]), as: UTF8.self)
        if authority.contains(0x3A) && (portBytes.isEmpty && authority.last == 0x3A) { throw NostrError(.relayURL, at: end) }
        if portBytes.isEmpty {
            port = self.scheme == .ws ? 80 : 443
        } else {
            guard portBytes.count <= 5, portBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw NostrError(.relayURL, at: end) }
            var p = 0
            for c in portBytes { p = p * 10 + Int(c - 0x30) }
            guard p >= 1 && p <= 65535 else { throw NostrError(.relayURL, at: end) }
            port = UInt16(p)
        }
        if self.scheme == .wsn && relayKey == nil {
            // `wsn://<npub>` alone: the relay's address comes from its own
            // address record (host "" and port 0 until resolved). A wsn://
            // URL without an npub cannot be authenticated.
            guard portBytes.isEmpty, let key = try? NIP19.decodeNpub(host) else { throw NostrError(.relayURL, at: 0) }
            relayKey = key
            host = ""
            port = 0
        }
        // Path and query: printable ASCII only, no spaces.
        let rest = bytes[end...]
        guard rest.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw NostrError(.relayURL, at: end) }
        if rest.isEmpty {
            path = "/"
        } else if rest.first == 0x3F {
            path = "/" + String(decoding: rest, as: UTF8.self)
        } else {
            path = String(decoding: rest, as: UTF8.self)
        }
        text = input
    }

    /// RFC 1123 host names (letters, digits, hyphens, dots; `_` tolerated as
    /// some internal names use it) and dotted IPv4 addresses.
    static func isHostName(_ b: [UInt8]) -> Bool {
        guard !b.isEmpty, b.count <= 253, b.first != 0x2E, b.first != 0x2D else { return false }
        var labelLength = 0
        for c in b {
            if c == 0x2E {
                guard labelLength > 0 else { return false }
                labelLength = 0
                continue
            }
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
            guard ok else { return false }
            labelLength += 1
            guard labelLength <= 63 else { return false }
        }
        return true
    }

    /// True when `host` is an IPv4 or IPv6 literal rather than a name.
    public var hostIsAddress: Bool {
        host.utf8.contains(0x3A) || host.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
    }

    /// The Host header of the upgrade request (RFC 6455 §4.1, item 4): the
    /// port only when it is not the scheme's default.
    public var hostHeader: String {
        let h = host.utf8.contains(0x3A) ? "[" + host + "]" : host
        let defaultPort: UInt16 = scheme == .ws ? 80 : 443
        return port == defaultPort ? h : h + ":" + String(port)
    }

    /// True for the transports that use TLS.
    public var usesTLS: Bool { scheme == .wss }

    /// Two URLs name the same relay when scheme, host, port, path and key
    /// agree; the text as written does not matter.
    public static func == (a: RelayURL, b: RelayURL) -> Bool {
        a.scheme == b.scheme && a.port == b.port && a.relayKey == b.relayKey
            && a.host.utf8.elementsEqual(b.host.utf8) && a.path.utf8.elementsEqual(b.path.utf8)
    }
}

/// ASCII helpers for protocol text kept as bytes.
enum ASCII {
    static func lowercased(_ b: ArraySlice<UInt8>) -> [UInt8] {
        b.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }
    }
}
