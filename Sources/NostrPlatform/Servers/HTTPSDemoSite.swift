import NostrCore

/// The records the demo keeps published.
public struct HTTPSDemoRecords {
    public var npub: String
    public var port: UInt16
    public var addresses: [IPAddress]
    public var spki: Bytes32
    public var pem: String
    public var alt: Bool
    /// Seconds between two publications.
    public var refresh: Int64

    public init(npub: String, port: UInt16, addresses: [IPAddress], spki: Bytes32, pem: String, alt: Bool, refresh: Int64) {
        self.npub = npub
        self.port = port
        self.addresses = addresses
        self.spki = spki
        self.pem = pem
        self.alt = alt
        self.refresh = refresh
    }

    /// The address record, and unless `alt` the TLS key record, both valid
    /// for three refresh periods (NIP-40 `expiration`, the record's `exp`).
    public func templates(now: Int64) -> [EventTemplate] {
        let expiry = now + 3 * refresh
        var out = [AddressRecord(label: "", addresses: addresses, ttl: nil, expiration: expiry).template(createdAt: now)]
        if !alt {
            let record = TLSKeyRecord(
                service: TLSKeyRecord.defaultService, url: "https://" + npub + ".nostr:" + String(port),
                spkiSHA256: spki, expires: expiry, certificatePEM: pem)
            out.append(record.template(createdAt: now))
        }
        return out
    }
}

/// What the demo serves: one page that says who it is (RFC 9110 for the
/// status codes).
public struct HTTPSDemoSite {
    public var npub: String
    public var publicKey: Bytes32
    public var addresses: [IPAddress]
    public var spki: Bytes32
    public var alt: Bool
    public var keyNote: String

    public init(npub: String, publicKey: Bytes32, addresses: [IPAddress], spki: Bytes32, alt: Bool, keyNote: String) {
        self.npub = npub
        self.publicKey = publicKey
        self.addresses = addresses
        self.spki = spki
        self.alt = alt
        self.keyNote = keyNote
    }

    func respond(to head: HTTPRequestHead) -> [UInt8] {
        // Methods are case-sensitive (RFC 9110 §9.1).
        let isHead = head.method == Array("HEAD".utf8)
        let isGet = head.method == Array("GET".utf8)
        guard isGet || isHead else {
            return HTTPSDemoSite.plain(405, "Method Not Allowed", "only GET and HEAD\n", head: false, extra: "Allow: GET, HEAD\r\n")
        }
        guard !head.announcesBody else { return HTTPSDemoSite.plain(400, "Bad Request", "a GET has no body here\n", head: isHead) }
        guard head.path == Array("/".utf8) || head.path == Array("/index.html".utf8) else {
            return HTTPSDemoSite.plain(404, "Not Found", "not found\n", head: isHead)
        }
        return HTTPSDemoSite.message(200, "OK", type: "text/html; charset=utf-8", body: Array(page.utf8), head: isHead)
    }

    var page: String {
        var addressText = ""
        for (i, a) in addresses.enumerated() { addressText += (i == 0 ? "" : ", ") + a.text }
        let trust =
            alt
            ? "This certificate is keyed by the nostr key itself (secp256k1): its public key is the npub."
            : "The npub signed this key's SHA-256 in its TLS key record (nostr kind 30059)."
        return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + npub + ".nostr</title></head>\n<body>\n"
            + "<h1>" + npub + ".nostr</h1>\n"
            + "<p>This is the nostr-dns HTTPS demo of <code>" + npub + "</code> (public key <code>" + publicKey.hex + "</code>).</p>\n"
            + "<p>Addresses: " + addressText + ".</p>\n"
            + "<p>TLS key: SHA-256 of its SubjectPublicKeyInfo <code>" + spki.hex + "</code>. " + trust + "</p>\n"
            + "</body></html>\n"
    }

    static func plain(_ status: Int, _ reason: String, _ text: String, head: Bool, extra: String = "") -> [UInt8] {
        message(status, reason, type: "text/plain; charset=utf-8", body: Array(text.utf8), head: head, extra: extra)
    }

    /// A complete response with Content-Length and `Connection: close`
    /// (RFC 9112 §9.6); for HEAD, the same head without the body (RFC 9110 §9.3.2).
    static func message(_ status: Int, _ reason: String, type: String, body: [UInt8], head: Bool, extra: String = "") -> [UInt8] {
        let top =
            "HTTP/1.1 " + String(status) + " " + reason + "\r\n"
            + "Content-Type: " + type + "\r\nContent-Length: " + String(body.count) + "\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n" + extra + "\r\n"
        var out = Array(top.utf8)
        if !head { out += body }
        return out
    }
}
