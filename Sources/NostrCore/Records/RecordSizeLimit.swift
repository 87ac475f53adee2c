/// The largest record event taken (the Design article, "Records on nostr"):
/// one place for the resolver cache and the one-shot selections
/// (`RecordSelection.offer` refuses bigger events as `.tooLarge`).
///
/// NIP-01 events may be as large as a relay allows (1 MiB here, the
/// message limit), but no honest address or TLS key record needs more
/// than a few KiB, measured on what the records carry:
///
/// - an address record with 64 IPv6 addresses of the longest text form
///   (39 characters): about 3.3 KB as JSON;
/// - a TLS key record carrying an RSA-4096 certificate with six
///   subjectAltNames (2,520 bytes of PEM) and a `u` tag: about 3 KB as JSON;
///   `nostr-dns`' own P-256 certificate is 574 bytes of PEM;
/// - the seed's records (kinds 30000, 30001): an address, or a certificate
///   as above.
///
/// The limit, 8 KiB, leaves more than twice that; a record above it is
/// refused as if it were not a record, so that 110 names of 1 MB records
/// cannot fill the cache (issue 16, item 2).
public enum RecordSizeLimit {
    /// At most this many bytes of NIP-01 JSON per record event (`jsonBytes`).
    public static let maxEventBytes = 8 * 1024

    /// The size of `event` as NIP-01 JSON, escapes not counted:
    /// `{"id":"…","pubkey":"…","created_at":…,"kind":…,"tags":[…],"content":"…","sig":"…"}`
    /// with 64 + 64 + 128 hex digits, 20 digits for each number, and each
    /// tag item counted with its quotes and comma. No allocation: string
    /// lengths only.
    public static func jsonBytes(_ event: Event) -> Int {
        // Keys, punctuation and the fixed-size fields.
        var n = 7 + 6 + 64 + 10 + 64 + 14 + 20 + 8 + 20 + 10 + 13 + 7 + 128 + 2
        n += event.content.utf8.count
        for tag in event.tags {
            n += 3  // brackets and comma
            for item in tag { n += item.utf8.count + 3 }
        }
        return n
    }

    /// True when `event` is within `maxEventBytes`.
    public static func admits(_ event: Event) -> Bool {
        // Cheap first: the content alone may already be too large.
        guard event.content.utf8.count <= maxEventBytes else { return false }
        return jsonBytes(event) <= maxEventBytes
    }
}
