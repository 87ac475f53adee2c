/// The current TLS key record (the Design article, "Records on nostr"): an
/// addressable event of kind 30059, as in the NCC-02 service record.
///
/// ```
/// kind 30059, content: the PEM certificate
/// ["d", "https"]                          the service
/// ["u", "https://<npub>.nostr:4443"]      optional, where it is served
/// ["k", "<64 lowercase hex>"]             SHA-256 of the DER SubjectPublicKeyInfo
/// ["exp", "<unix>"]                       optional, when the key stops being valid
/// ```
///
/// `k` is the same value as a DANE TLSA record with usage 3 (DANE-EE),
/// selector 1 (SPKI), matching type 1 (SHA-256) (RFC 6698 §2.1, RFC 7218):
/// the key is what is trusted, the certificate is only carried along.
public struct TLSKeyRecord: Equatable, Sendable {
    public static let kind = 30059
    public static let defaultService = "https"

    /// The `d` tag: the service name, "https" by default.
    public var service: String
    /// The `u` tag, e.g. "https://<npub>.nostr:4443".
    public var url: String?
    /// The `k` tag: SHA-256 of the certificate's DER SubjectPublicKeyInfo.
    public var spkiSHA256: Bytes32
    /// The `exp` tag (unix seconds): the key is not to be trusted from then on.
    public var expires: Int64?
    /// The content: the PEM certificate, for clients that want all of it.
    public var certificatePEM: String

    public init(service: String = "https", url: String?, spkiSHA256: Bytes32, expires: Int64?, certificatePEM: String) {
        self.service = service
        self.url = url
        self.spkiSHA256 = spkiSHA256
        self.expires = expires
        self.certificatePEM = certificatePEM
    }

    /// The unsigned event: tags `d`, `u`?, `k`, `exp`?, in that order
    /// (the Design article's order); content the PEM certificate.
    public func template(createdAt: Int64) -> EventTemplate {
        var tags: [[String]] = [["d", service]]
        if let url { tags.append(["u", url]) }
        tags.append(["k", spkiSHA256.hex])
        if let expires { tags.append(["exp", RecordTags.text(expires)]) }
        return EventTemplate(createdAt: createdAt, kind: TLSKeyRecord.kind, tags: tags, content: certificatePEM)
    }

    /// Reads a kind-30059 event. `.recordShape` if the kind is not 30059,
    /// there is no `d` tag, no `k` tag, a `k` that is not exactly 64
    /// lowercase hex digits, or an `exp` that is not a decimal timestamp:
    /// this record decides whom a TLS client trusts, so anything unclear
    /// fails closed. The content is not parsed (the `k` tag is the anchor).
    public init(event: Event) throws(NostrError) {
        guard event.kind == TLSKeyRecord.kind,
            let d = RecordTags.first(event.tags, "d"),
            let k = RecordTags.first(event.tags, "k")
        else { throw NostrError(.recordShape) }
        var key = Bytes32.zero
        let utf8 = Array(k.utf8)
        do throws(NostrError) {
            try utf8.withBytes { (src) throws(NostrError) in
                try key.withUnsafeMutableBytes { (dst) throws(NostrError) in
                    try Hex.decode(src, into: dst, lowercaseOnly: true)
                }
            }
        } catch {
            throw NostrError(.recordShape)
        }
        self.init(
            service: d, url: RecordTags.first(event.tags, "u"), spkiSHA256: key,
            expires: try RecordTags.timestamp(event.tags, "exp"), certificatePEM: event.content)
    }

    public static func == (a: TLSKeyRecord, b: TLSKeyRecord) -> Bool {
        RecordTags.equal(a.service, b.service) && RecordTags.equal(a.url, b.url) && a.spkiSHA256 == b.spkiSHA256
            && a.expires == b.expires && RecordTags.equal(a.certificatePEM, b.certificatePEM)
    }
}
