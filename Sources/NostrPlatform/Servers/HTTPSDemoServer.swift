import NostrCore

/// The HTTPS server of `nostr-dns https-demo` (issue 6, the Design article, "Trust
/// anchored in the npub"): TLS listeners and their connections (one
/// request, one answer, close: `HTTPSDemoConnection`), and the relays on
/// which it republishes its address and TLS key records every `refresh`
/// seconds (strictly increasing `created_at`, as `publish-ip --watch`), in
/// one `EventLoop` until SIGINT or SIGTERM.
public final class HTTPSDemoServer<Publisher: RecordPublishing>: EventLoopServer {
    /// Connections served at once; more are accepted and closed at once.
    public static var maxConnections: Int { 256 }
    /// A connection gets this long for its handshake, request and answer.
    public static var connectionMilliseconds: Int64 { 10_000 }

    let listeners: [TCPListener]
    let tls: TLSServerConfig
    let site: HTTPSDemoSite
    let records: HTTPSDemoRecords
    let pool: RelayPool
    let publisher: Publisher
    let verbose: Bool
    let quiet: Bool
    var connections: [HTTPSDemoConnection] = []
    var listenerSlots: [Int] = []
    var publishedAt: Int64 = 0
    var pending: [Event] = []
    var nextPublish: Int64
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)

    public init(
        listeners: [TCPListener], tls: TLSServerConfig, site: HTTPSDemoSite, records: HTTPSDemoRecords,
        pool: RelayPool, publisher: Publisher, verbose: Bool, quiet: Bool
    ) {
        self.listeners = listeners
        self.tls = tls
        self.site = site
        self.records = records
        self.pool = pool
        self.publisher = publisher
        self.verbose = verbose
        self.quiet = quiet
        nextPublish = Clock.monotonicMilliseconds()
    }

    /// Serves and republishes until SIGINT or SIGTERM.
    public func run() throws(PlatformError) {
        try EventLoop(relays: .pool(pool)).run(self)
    }

    public func tick(now: Int64) {
        if now >= nextPublish {
            nextPublish = now + records.refresh * 1000
            // Strictly increasing created_at, as publish-ip --watch.
            let wall = max(Clock.unixTime(), publishedAt + 1)
            do throws(PublishingFailure) {
                pending = try publisher.queue(records.templates(now: wall), on: pool)
                publishedAt = wall
            } catch {
                // The key file went away or broke: keep serving, try again soon.
                let retry = min(records.refresh * 1000, 60_000)
                nextPublish = now + retry
                Output.stderr(
                    "nostr-dns https-demo: cannot sign the records: " + error.message + "; trying again in "
                        + RelayPool.seconds(retry) + "\n")
            }
        }
        publisher.report(pool.takeEvents(), pending: pending, pool: pool)
    }

    public func register(in poll: inout PollSet, now: Int64) -> Int64? {
        listenerSlots.removeAll(keepingCapacity: true)
        for l in listeners { listenerSlots.append(poll.add(fd: l.fd, interest: .read)) }
        var wake = nextPublish
        for c in connections {
            c.slot = poll.add(fd: c.stream.fd, interest: c.interest)
            wake = min(wake, c.deadline)
        }
        return wake
    }

    public func handle(_ poll: PollSet, now: Int64) throws(PlatformError) {
        for (listener, slot) in zip(listeners, listenerSlots) where !poll.ready(slot).isEmpty {
            accept(listener, now: now)
        }
        connections.removeAll { c in
            let ready = c.slot >= 0 && !poll.ready(c.slot).isEmpty
            return !c.drive(ready: ready, now: now, site: site, buffer: &buffer, verbose: verbose)
        }
    }

    public func finish() {
        for c in connections { c.stream.close() }
        for l in listeners { l.close() }
        if !quiet { Output.stderr("nostr-dns https-demo: stopped\n") }
    }

    /// Takes every waiting connection; beyond `maxConnections` they are closed at once.
    func accept(_ listener: TCPListener, now: Int64) {
        while true {
            let next: (fd: Int32, peer: SocketAddress)?
            do throws(PlatformError) { next = try listener.accept() } catch {
                if verbose { Output.stderr("nostr-dns https-demo: " + error.message + "\n") }
                return
            }
            guard let (fd, peer) = next else { return }
            guard connections.count < Self.maxConnections else {
                StreamConnection(accepted: fd, peer: peer).close()
                continue
            }
            do throws(PlatformError) {
                let stream = try StreamConnection(accepted: fd, peer: peer, tls: tls)
                connections.append(HTTPSDemoConnection(stream, deadline: now + Self.connectionMilliseconds))
            } catch {
                if verbose { Output.stderr("nostr-dns https-demo: " + error.message + "\n") }
            }
        }
    }
}
