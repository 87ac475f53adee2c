import NostrCore
import NostrPlatform

/// The DNS server for the `nostr.` zone, run in-process: the server of
/// `nostr-dns dns` (the same `DNSServer`, over UDP and TCP on each listen
/// address), answering `<npub>.nostr` and `<label>.<npub>.nostr` (A, AAAA)
/// and `_<port>._tcp.<npub>.nostr` (TLSA 3 1 1) from a cache kept fresh by
/// open relay subscriptions, and forwarding other names to `upstream`
/// (REFUSED without one).
///
/// `init` binds the sockets (so a port asked as 0 is known at once, in
/// ``listenAddresses``) and loads the cache file; ``run()`` serves on a
/// thread of its own until its task is cancelled.
///
/// ```swift
/// let dns = try DNSService(listen: ["127.0.0.1:0"], relays: ["wss://relay.example"])
/// print(dns.listenAddresses)          // ["127.0.0.1:40123"]
/// let server = Task { try await dns.run() }
/// // … dig @127.0.0.1 -p 40123 npub1….nostr
/// server.cancel()                     // stops it and frees the port
/// ```
public final class DNSService: Sendable {
    /// The addresses served, UDP and TCP, as "127.0.0.1:5300" or
    /// "[::1]:5300"; a port asked as 0 is the one the system chose.
    public let listenAddresses: [String]
    /// Where other names are forwarded ("192.0.2.53:53"), if anywhere.
    public let upstream: String?
    /// The cache file: loaded by `init`, saved every 5 minutes when it
    /// changed and when the server stops; nil for none.
    public let cachePath: String?
    let server: Handoff<DNSServer>

    /// Opens the server: binds UDP and TCP on each of `listen` ("ADDR:PORT",
    /// IPv6 in brackets; port 0 lets the system choose), loads `cachePath`
    /// (a missing file is an empty cache; every record in it is verified
    /// again; one that cannot be loaded is set aside with a warning on
    /// standard error and the cache starts empty). `relays`: ws://, wss:// or wsn:// URLs, `caFile`: CA
    /// certificates for wss:// instead of the system bundle. `upstream`:
    /// an IP address and port for other names. `timeout`: how long the first
    /// query for a name waits for the relays before SERVFAIL. `cacheSize`:
    /// names kept (16 to 1,000,000).
    public init(
        listen: [String] = ["127.0.0.1:5300"], upstream: String? = nil, relays: [String], caFile: String? = nil,
        cachePath: String? = nil, cacheSize: Int = 10_000, timeout: Duration = .seconds(4)
    ) throws(NostrDNSError) {
        var settings = DNSServer.Settings()
        settings.quiet = true
        for text in listen {
            guard let address = SocketAddress.parse(text) else { throw .invalidAddress(text) }
            settings.listen.append(address)
        }
        if let upstream {
            guard let address = SocketAddress.parse(upstream), address.port != 0 else { throw .invalidAddress(upstream) }
            settings.upstream = address
        }
        settings.cachePath = cachePath
        let ctx = try context()
        let opened: DNSServer
        do throws(PlatformError) {
            let builder = try RelayPoolBuilder(relays: relays, caFile: caFile)
            let resolver = try DNSServer.resolver(
                relays: builder, context: ctx, capacity: min(max(cacheSize, 16), 1_000_000),
                lookupTimeoutMilliseconds: timeout.milliseconds)
            if let cachePath { resolver.loadCacheFile(cachePath, command: "dns", verbose: false, quiet: true) }
            opened = try DNSServer(settings: settings, resolver: resolver)
        } catch {
            throw NostrDNSError(error)
        }
        listenAddresses = opened.udp.map { $0.address.description }
        self.upstream = settings.upstream?.description
        self.cachePath = cachePath
        server = Handoff(opened)
    }

    /// Serves on a thread of its own (the caller's thread never blocks)
    /// until the task is cancelled; then saves the cache, closes the relay
    /// connections and the sockets, and returns. A service runs once: a
    /// second call throws `.system`. Throws if the server fails (poll(2)).
    public func run() async throws(NostrDNSError) {
        let server = self.server
        try await runUntilCancelled(threadName: "nostr-dns dns") { stop in
            guard let dns = server.take() else { return .failure(.system("the DNS service has run already")) }
            do throws(PlatformError) { try dns.run(stop: stop) } catch { return .failure(NostrDNSError(error)) }
            return .success(())
        }
    }
}
