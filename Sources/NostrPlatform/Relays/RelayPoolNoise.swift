import NostrCore

extension RelayPool {
    /// The client side of a `wsn://` relay: a fresh random static key and
    /// the relay's npub lifted to even y (the Design article, "Relays and
    /// transports"). A context per connection keeps RelayPool free of
    /// wsn-only state; creating one costs microseconds next to the handshake.
    static func noiseConfig(for url: RelayURL) throws(NostrError) -> NoiseConfig {
        guard let key = url.relayKey else { throw NostrError(.relayURL) }
        let context = try Secp256k1Context(randomSeed: try Entropy.bytes32())
        return try NoiseConfig(initiatorTo: key, context: context)
    }
}

/// `wsn://<npub>` alone: the relay's address comes from its own `wsn`
/// address record (`WSNAddressRecord`), looked up on the other relays of
/// the list, and its signature is checked like any record's.
public enum WSNResolution {
    /// True when some URL still needs its address.
    public static func needed(_ urls: [RelayURL]) -> Bool {
        urls.contains { $0.scheme == .wsn && $0.host.isEmpty }
    }

    /// `urls` with host and port filled in for every `wsn://<npub>` whose
    /// record was found; the others are left as they are (a pool reports
    /// them as unresolved), with a reason each in `failures`.
    public static func resolve(
        _ urls: [RelayURL], tls: TLSClientConfig?,
        timeoutMilliseconds: Int64
    ) throws(PlatformError) -> (urls: [RelayURL], failures: [String]) {
        let bare = urls.indices.filter { urls[$0].scheme == .wsn && urls[$0].host.isEmpty }
        guard !bare.isEmpty else { return (urls, []) }
        let others = urls.filter { !($0.scheme == .wsn && $0.host.isEmpty) }
        guard !others.isEmpty else {
            return (urls, bare.map { urls[$0].text + ": no other relay to look its address record up on" })
        }
        let context: Secp256k1Context
        do throws(NostrError) { context = try Secp256k1Context(randomSeed: try Entropy.bytes32()) } catch {
            throw PlatformError(.io, path: "entropy", detail: error.reason)
        }
        let queries = bare.map { RecordQuery(author: urls[$0].relayKey!, kinds: [AddressRecord.kind], label: WSNAddressRecord.label) }
        let pool = RelayPool(urls: others, tls: tls)
        pool.options.connectTimeoutMilliseconds = timeoutMilliseconds
        pool.options.nonBlockingLookup = true
        pool.options.lookupTimeoutMilliseconds = timeoutMilliseconds
        let lookup = try RecordLookup.run(queries, pool: pool, context: context, timeoutMilliseconds: timeoutMilliseconds)
        pool.shutdown()
        var out = urls
        var failures: [String] = []
        for (q, i) in bare.enumerated() {
            guard let event = lookup.selections[q].best, let meaning = lookup.selections[q].meaning,
                let endpoint = WSNAddressRecord.endpoint(of: event, meaning: meaning),
                let address = endpoint.addresses.first
            else {
                failures.append(urls[i].text + ": no wsn address record found")
                continue
            }
            out[i].host = address.text
            out[i].port = endpoint.port
        }
        return (out, failures)
    }
}
