import NostrCore
import NostrPlatform

/// `publish-ip --watch [--interval S]`: the dynamic-DNS daemon. Every
/// interval (default 60 s) it looks at the addresses again; it republishes
/// when they change, and every `refreshSeconds` even when they do not, so
/// the record never goes stale: each record carries a NIP-40 expiration
/// three refresh periods ahead, and a host that stops publishing stops
/// resolving when it passes. Relays stay connected and are reconnected
/// with backoff; SIGINT or SIGTERM ends it with exit 0.
enum WatchLoop {
    static let refreshSeconds: Int64 = 12 * 3600

    static func run(_ o: PublishIPCommand.Options, _ globals: GlobalOptions) throws(CommandFailure) -> Int32 {
        let setup = try RelaySetup(globals)
        let pool = try setup.pool(reconnect: true, timeoutMilliseconds: o.timeout)
        let ctx = try Common.context()
        _ = try Common.loadKey(globals)  // fail now, not at the first change
        StopSignal.install()
        var published: [IPAddress] = []
        var publishedAt: Int64 = 0
        var pending: [Event] = []
        var nextCheck = Clock.monotonicMilliseconds()
        pool.start(now: nextCheck)
        var poll = PollSet()
        while !StopSignal.requested {
            let now = Clock.monotonicMilliseconds()
            if now >= nextCheck {
                nextCheck = now + o.interval
                do throws(CommandFailure) {
                    let addresses = try PublishIPCommand.gather(o, globals)
                    // Strictly increasing created_at: a relay keeps the newer of two
                    // versions, and two changes within one second must not tie.
                    let wall = max(Clock.unixTime(), publishedAt + 1)
                    if addresses != published || wall - publishedAt >= refreshSeconds {
                        let templates = PublishIPCommand.templates(o, addresses, now: wall, expiration: wall + 3 * refreshSeconds)
                        pending = try Publishing.queue(templates, on: pool, globals, context: ctx)
                        published = addresses
                        publishedAt = wall
                    }
                } catch {
                    Output.stderr("nostr-dns publish-ip: " + error.message + "; trying again in "
                                  + RelayPool.seconds(o.interval) + "\n")
                }
            }
            Publishing.report(pool.takeEvents(), pending: pending, pool: pool, command: "publish-ip", globals)
            do throws(PlatformError) { try pool.turn(&poll, wakeAt: nextCheck) } catch { throw CommandFailure(error) }
        }
        pool.shutdown()
        return ExitCode.success
    }
}
