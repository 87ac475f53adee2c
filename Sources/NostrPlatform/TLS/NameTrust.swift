import NostrCore

/// What an npub name says about its HTTPS server, looked up on the relays
/// (the Design article, "Trust anchored in the npub"): its addresses (kind 30053), its
/// TLS key record (kind 30059) if one is valid, and the keys it therefore
/// vouches for: the record's key and the npub's own key (`NpubTLSKey`).
/// Shared by `fetch` and `pin` (`HTTPSFetch`).
public struct NameTrust {
    public var name: NostrName
    public var addresses: [IPAddress]
    public var record: TLSKeyRecord?
    /// A TLS key record was seen but refused because it had expired.
    public var recordExpired: Bool
    /// SHA-256 of the SubjectPublicKeyInfo of the npub's own key.
    public var npubKey: Bytes32

    /// Every key the name vouches for: the record's first, then the npub's.
    public var pins: [Bytes32] {
        var out: [Bytes32] = []
        if let record { out.append(record.spkiSHA256) }
        if !out.contains(npubKey) { out.append(npubKey) }
        return out
    }

    /// What `lookup` says, with the npub's own key computed for `context`.
    public init(_ lookup: NameLookup, context: Secp256k1Context) throws(NostrError) {
        name = lookup.name
        addresses = lookup.addresses
        record = lookup.tlsKey
        recordExpired = lookup.tlsKeyExpired
        npubKey = try NpubTLSKey.spkiSHA256(of: lookup.name.publicKey, context: context)
    }

    /// Which vouching a key digest matches, for messages.
    public func source(of key: Bytes32) -> String? {
        if let record, record.spkiSHA256 == key { return "the key in " + name.npub + "'s TLS key record (kind 30059)" }
        if key == npubKey { return name.npub + "'s own key (secp256k1)" }
        return nil
    }

    /// Why a server key that matched no pin is refused: what the npub does vouch for.
    public func refusal(serverKey: Bytes32?, peer: String, host: String) -> String {
        var text = "refusing " + host + ": the server at " + peer
        if let serverKey { text += " presented a key with SPKI SHA-256 " + serverKey.hex } else { text += " presented no acceptable key" }
        text += ", which " + name.npub + " does not vouch for"
        if let record {
            text += " (its TLS key record names " + record.spkiSHA256.hex + "); this may be an impostor"
        } else if recordExpired {
            text += ": its TLS key record (kind 30059) has expired, and the key is not the npub's own key"
        } else {
            text += ": it has no TLS key record (kind 30059), and the key is not the npub's own key"
        }
        return text
    }
}
