import NostrCore
import NostrPlatform

/// What an npub name says about its HTTPS server, looked up on the relays
/// (the Design article, "Trust anchored in the npub"): its addresses (kind 30053), its
/// TLS key record (kind 30059) if one is valid, and the keys it therefore
/// vouches for: the record's key and the npub's own key (`NpubTLSKey`).
/// Shared by `fetch` and `pin`.
struct NameTrust {
    var name: NostrName
    var addresses: [IPAddress]
    var record: TLSKeyRecord?
    /// A TLS key record was seen but refused because it had expired.
    var recordExpired: Bool
    /// SHA-256 of the SubjectPublicKeyInfo of the npub's own key.
    var npubKey: Bytes32

    /// Every key the name vouches for: the record's first, then the npub's.
    var pins: [Bytes32] {
        var out: [Bytes32] = []
        if let record { out.append(record.spkiSHA256) }
        if !out.contains(npubKey) { out.append(npubKey) }
        return out
    }

    /// Asks the relays; `.failure` when none answered.
    static func look(
        _ name: NostrName, service: String, command: String, globals: GlobalOptions,
        timeout: Int64
    ) throws(CommandFailure) -> NameTrust {
        let setup = try RelaySetup(globals)
        let ctx = try Common.context()
        let lookup = try checked { () throws(PlatformError) in
            try NameLookup.run(name, tlsService: service, relays: setup.builder, context: ctx, timeoutMilliseconds: timeout)
        }
        if !globals.quiet {
            for (r, url) in lookup.records.relays.enumerated() {
                if let f = lookup.records.failures[r], globals.verbose || !lookup.anyAnswered {
                    Output.stderr("nostr-dns " + command + ": " + url.text + ": " + f + "\n")
                }
            }
        }
        guard lookup.anyAnswered else {
            throw CommandFailure("no relay answered (" + String(lookup.records.relays.count) + " tried)")
        }
        let npubKey = try checked { () throws(NostrError) in try NpubTLSKey.spkiSHA256(of: name.publicKey, context: ctx) }
        return NameTrust(
            name: name, addresses: lookup.addresses, record: lookup.tlsKey,
            recordExpired: lookup.tlsKeyExpired, npubKey: npubKey)
    }

    /// Which vouching a key digest matches, for messages.
    func source(of key: Bytes32) -> String? {
        if let record, record.spkiSHA256 == key { return "the key in " + name.npub + "'s TLS key record (kind 30059)" }
        if key == npubKey { return name.npub + "'s own key (secp256k1)" }
        return nil
    }

    /// Why a server key that matched no pin is refused: what the npub does vouch for.
    func refusal(serverKey: Bytes32?, peer: String, host: String) -> String {
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
