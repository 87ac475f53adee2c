import NostrCore
import NostrPlatform

/// The Multicast DNS responder (RFC 6762) for `<npub>.local`, run
/// in-process: the responder of `nostr-dns mdns` (the same `MDNSServer`).
/// It claims the identity's own name on each interface (probing and
/// announcing it, §8, and saying goodbye when it stops, §10.1) and answers
/// A and AAAA queries for it from the addresses of the interface the query
/// came in on; any other npub is answered from its address record on the
/// relays, looked up in the background and cached.
///
/// Port 5353 is shared with other responders (avahi-daemon), so there is
/// no port to choose. ``run()`` serves on a thread of its own until its
/// task is cancelled.
public final class MDNSService: Sendable {
    /// The identity whose `<npub>.local` is claimed.
    public let identity: Identity
    /// The interfaces served, by name.
    public let interfaces: [String]
    /// The cache file of the names learned from relays, nil for none.
    public let cachePath: String?
    let parts: Handoff<(server: MDNSServer, resolver: CachedResolver)>

    /// Opens the two mDNS sockets (IPv4 and IPv6; one family may be
    /// missing) and joins the groups on `interfaces` (names; none: every
    /// interface that is up, multicast-capable and not loopback; loopback
    /// is served only when named), and loads `cachePath`. `relays`: ws://,
    /// wss:// or wsn:// URLs; `caFile`: CA certificates for wss://.
    /// `.system` when there is no interface to serve.
    public init(
        identity: Identity, interfaces: [String] = [], relays: [String], caFile: String? = nil, cachePath: String? = nil
    ) throws(NostrDNSError) {
        var settings = MDNSServer.Settings()
        settings.interfaceNames = interfaces
        settings.cachePath = cachePath
        settings.quiet = true
        let ctx = try context()
        let selected: [MDNSInterface]
        do throws(PlatformError) { selected = try MDNSServer.interfaces(interfaces) } catch { throw NostrDNSError(error) }
        guard !selected.isEmpty else {
            throw .system("no interface to serve (none is up, multicast-capable and not loopback); name one")
        }
        do throws(PlatformError) {
            let builder = try RelayPoolBuilder(relays: relays, caFile: caFile)
            let resolver = try MDNSServer.resolver(relays: builder, context: ctx)
            if let cachePath { resolver.loadCacheFile(cachePath, command: "mdns", verbose: false, quiet: true) }
            let server = try MDNSServer(ownKey: identity.publicKey, interfaces: selected, settings: settings)
            parts = Handoff((server, resolver))
        } catch {
            throw NostrDNSError(error)
        }
        self.identity = identity
        self.interfaces = selected.map { $0.name }
        self.cachePath = cachePath
    }

    /// Serves on a thread of its own (the caller's thread never blocks)
    /// until the task is cancelled; then says goodbye, saves the cache,
    /// closes the relay connections and the sockets, and returns. A service
    /// runs once: a second call throws `.system`.
    public func run() async throws(NostrDNSError) {
        let parts = self.parts
        try await runUntilCancelled(threadName: "nostr-dns mdns") { stop in
            guard let (server, resolver) = parts.take() else { return .failure(.system("the mDNS service has run already")) }
            do throws(PlatformError) { try server.run(resolver: resolver, stop: stop) } catch {
                return .failure(NostrDNSError(error))
            }
            server.close()
            return .success(())
        }
    }
}
