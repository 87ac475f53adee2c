import NostrPlatform

/// Talking to relays from Swift: resolve names, publish records. Each call
/// opens its own connections, waits for the relays (at most `timeout`
/// seconds) and closes them; the daemons of the command-line tool keep
/// theirs open instead.
public struct Relays {
    public let urls: [RelayURL]
    /// CA certificates for `wss://` (nil: the system bundle).
    public var caFile: String?
    public var timeoutMilliseconds: Int64

    public init(_ urls: [String], caFile: String? = nil, timeoutMilliseconds: Int64 = 10_000) throws(NostrDNSError) {
        var parsed: [RelayURL] = []
        for u in urls {
            do throws(NostrError) { parsed.append(try RelayURL(parsing: u)) } catch { throw .nostr(error) }
        }
        self.urls = parsed
        self.caFile = caFile
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    func pool() throws(NostrDNSError) -> RelayPool {
        var tls: TLSClientConfig? = nil
        if urls.contains(where: { $0.usesTLS }) {
            do throws(PlatformError) { tls = try TLSClientConfig(caFile: caFile) } catch { throw .platform(error) }
        }
        var options = RelayPoolOptions()
        options.connectTimeoutMilliseconds = timeoutMilliseconds
        var resolved = urls
        if WSNResolution.needed(urls) {  // `wsn://<npub>` alone: its address record first
            do throws(PlatformError) {
                resolved = try WSNResolution.resolve(urls, tls: tls, timeoutMilliseconds: timeoutMilliseconds).urls
            } catch { throw .platform(error) }
        }
        return RelayPool(urls: resolved, tls: tls, options: options)
    }

    /// The addresses of `name` (an npub, `<npub>.nostr`, `<label>.<npub>.nostr`
    /// or `<npub>.local`) from the newest valid address record; nil when the
    /// relays answered and there is none. Throws when no relay answered.
    public func addresses(of name: String) throws(NostrDNSError) -> [IPAddress]? {
        let parsed: NostrName
        do throws(NostrError) { parsed = try NostrName(parsing: name) } catch { throw .nostr(error) }
        let pool = try pool()
        defer { pool.shutdown() }
        let lookup: RecordLookup
        let ctx = try context()
        do throws(PlatformError) {
            lookup = try RecordLookup.run([.addresses(of: parsed.publicKey, label: parsed.label)], pool: pool,
                                          context: ctx, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw .platform(error)
        }
        guard lookup.anyAnswered else { throw .platform(PlatformError(.timeout, path: "relays")) }
        return lookup.selections[0].meaning?.addresses
    }

    /// Publishes `record` signed by `identity`; returns, per relay URL, what
    /// the relay said.
    public func publish(_ record: AddressRecord, as identity: Identity) throws(NostrDNSError) -> [(RelayURL, PublishOutcome)] {
        let template = record.template(createdAt: Clock.unixTime())
        let event = try identity.sign(kind: template.kind, content: template.content, tags: template.tags, createdAt: template.createdAt)
        let pool = try pool()
        defer { pool.shutdown() }
        let outcomes: [[PublishOutcome?]]
        do throws(PlatformError) {
            outcomes = try Publication.run([event], pool: pool, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw .platform(error)
        }
        return urls.indices.map { (urls[$0], outcomes[0][$0] ?? .failed("no answer")) }
    }
}
