import NostrCore

/// Where the responder gets the addresses of npubs other than its own: the
/// shared resolver cache (`CachedResolver`), driven on the relays in the
/// responder's poll loop. A name not cached starts one background lookup
/// (coalesced with any other for the same name) and stays unanswered until
/// it is known: mDNS queriers ask again (RFC 6762 §5.2), and the retry is
/// answered from the cache. Never a guess.
///
/// The cache is kept in a file (`--cache`), like the DNS server's: saved
/// every 5 minutes when it changed and on exit (`EventLoop`), and verified
/// again on start, so that after a reboot without internet the names seen
/// before are still answered (stale, RFC 8767 §4, until a relay confirms them).
struct MDNSNames {
    let resolver: CachedResolver
    let verbose: Bool
    let quiet: Bool
    /// mDNS record TTLs are capped at the host-record TTL (RFC 6762 §10:
    /// 120 s), so that queriers come back while the cache refreshes.
    static let maxTTL: UInt32 = MDNSRules.hostRecordTTL

    /// The cache's state for the address record of `<npub>.local` (label "").
    func state(of key: Bytes32, now: Int64) -> MDNSNameState {
        switch resolver.lookup(.addresses(key, label: ""), now: now) {
        case .found(let entry, let ttl, _):
            return entry.addresses.isEmpty ? .absent : .addresses(entry.addresses, ttl: min(ttl, Self.maxTTL))
        case .notFound:
            return .absent
        case .pending:
            return .pending
        }
    }

    /// `state(of:)` has already started the lookup; this only says so at -v.
    func lookUp(_ key: Bytes32, now: Int64) {
        if verbose { Output.stderr("nostr-dns mdns: looking up " + NIP19.npub(key) + " on the relays\n") }
    }

    /// Reports finished lookups at -v, relay failures and relays sending
    /// what is not NIP-01 unless -q.
    func takeEvents() {
        for note in resolver.takeRelayNotes() where !quiet {
            let url = "nostr-dns mdns: relay " + resolver.pool.urls[note.relay].text + ": "
            switch note.kind {
            case .connected: if verbose { Output.stderr(url + "connected\n") }
            case .ignored: Output.stderr(url + "ignoring what is not NIP-01 (" + note.text + ")\n")
            case .failed: Output.stderr(url + note.text + "\n")
            }
        }
        // Addresses the policy left out (issue 16 item 4), once per record.
        for d in resolver.cache.takeDroppedAddresses() where verbose {
            Output.stderr("nostr-dns mdns: " + NIP19.npub(d.key.author) + ": " + d.text + "\n")
        }
        for event in resolver.takeEvents() where verbose {
            switch event {
            case .resolved(let k):
                let n = resolver.cache.peek(k)?.addresses.count ?? 0
                Output.stderr(
                    "nostr-dns mdns: " + NIP19.npub(k.author) + ": "
                        + (n == 0 ? "no address record on the relays" : String(n) + " address(es) from the relays") + "\n")
            case .timedOut(let k):
                Output.stderr("nostr-dns mdns: " + NIP19.npub(k.author) + ": no relay answered\n")
            case .updated(let k):
                Output.stderr("nostr-dns mdns: " + NIP19.npub(k.author) + ": newer record from a relay\n")
            }
        }
    }
}
