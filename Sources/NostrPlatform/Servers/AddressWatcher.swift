import NostrCore

/// Where an `AddressWatcher` gets its addresses and its records: the
/// caller's address detection (interfaces, `--ip`) and record templates.
/// Class-constrained and taken generically.
public protocol AddressSource: RecordPublishing {
    /// What the local step found, kept for `finish`.
    associatedtype Local
    /// The addresses known without asking anyone (getifaddrs(3) does not
    /// block), and the STUN server to ask, when one must be.
    func gatherLocal() throws(PublishingFailure) -> (local: Local, stun: (host: String, port: UInt16)?)
    /// The addresses to publish: the local ones with the STUN answer (nil
    /// when none was asked).
    func gatherFinish(_ local: Local, stun: Result<IPAddress, PlatformError>?) throws(PublishingFailure) -> [IPAddress]
    /// The records of `addresses`, created at `now`, expiring at `expiration`.
    func templates(_ addresses: [IPAddress], now: Int64, expiration: Int64) -> [EventTemplate]
}

/// The dynamic-DNS daemon of `publish-ip --watch [--interval S]`: every
/// interval (default 60 s) it looks at the addresses again; it republishes
/// when they change, and every `refreshSeconds` even when they do not, so
/// the record never goes stale: each record carries a NIP-40 expiration
/// three refresh periods ahead, and a host that stops publishing stops
/// resolving when it passes. Relays stay connected and are reconnected
/// with backoff; a STUN server asked for the address (`STUNProbe`) is
/// served by the same `EventLoop`, so a silent one blocks neither the
/// relays nor SIGINT or SIGTERM, which end it.
public final class AddressWatcher<Source: AddressSource>: EventLoopServer {
    public static var refreshSeconds: Int64 { 12 * 3600 }

    let source: Source
    let pool: RelayPool
    let intervalMilliseconds: Int64
    let timeoutMilliseconds: Int64
    var published: [IPAddress] = []
    var publishedAt: Int64 = 0
    var pending: [Event] = []
    var nextCheck: Int64
    /// The interval's check waiting for a STUN answer: the probe runs in
    /// the loop's poll(2) call, so relays stay served and a stop signal is
    /// noticed while the STUN server is slow or silent.
    var probe: STUNProbe? = nil
    var local: Source.Local? = nil

    /// `timeoutMilliseconds`: how long a STUN server has to answer.
    public init(source: Source, pool: RelayPool, intervalMilliseconds: Int64, timeoutMilliseconds: Int64) {
        self.source = source
        self.pool = pool
        self.intervalMilliseconds = intervalMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        nextCheck = Clock.monotonicMilliseconds()
    }

    /// Watches until SIGINT or SIGTERM.
    public func run() throws(PlatformError) {
        try EventLoop(relays: .pool(pool)).run(self)
    }

    public func tick(now: Int64) {
        if probe == nil && now >= nextCheck {
            nextCheck = now + intervalMilliseconds
            do throws(PublishingFailure) {
                let (found, stun) = try source.gatherLocal()
                local = found
                if let server = stun {
                    probe = STUNProbe(host: server.host, port: server.port, timeoutMilliseconds: timeoutMilliseconds, now: now)
                } else {
                    complete(nil)
                }
            } catch {
                retryMessage(error)
            }
        }
        if let p = probe, let outcome = p.outcome {
            probe = nil
            switch outcome {
            case .address(let address): complete(.success(address))
            case .failed(let error): complete(.failure(error))
            }
        }
        source.report(pool.takeEvents(), pending: pending, pool: pool)
    }

    public func register(in poll: inout PollSet, now: Int64) -> Int64? {
        probe?.register(in: &poll)
        if let next = probe?.deadline { return min(nextCheck, next) }
        return nextCheck
    }

    public func handle(_ poll: PollSet, now: Int64) throws(PlatformError) {
        probe?.handle(poll, now: now)
    }

    public func finish() {
        probe?.cancel()
    }

    /// The interval's check, once the STUN server answered (or none was asked).
    func complete(_ stun: Result<IPAddress, PlatformError>?) {
        guard let local else { return }
        do throws(PublishingFailure) {
            let addresses = try source.gatherFinish(local, stun: stun)
            // Strictly increasing created_at: a relay keeps the newer of two
            // versions, and two changes within one second must not tie.
            let wall = max(Clock.unixTime(), publishedAt + 1)
            if addresses != published || wall - publishedAt >= Self.refreshSeconds {
                let templates = source.templates(addresses, now: wall, expiration: wall + 3 * Self.refreshSeconds)
                pending = try source.queue(templates, on: pool)
                published = addresses
                publishedAt = wall
            }
        } catch {
            retryMessage(error)
        }
    }

    func retryMessage(_ error: PublishingFailure) {
        Output.stderr("nostr-dns publish-ip: " + error.message + "; trying again in " + RelayPool.seconds(intervalMilliseconds) + "\n")
    }
}
