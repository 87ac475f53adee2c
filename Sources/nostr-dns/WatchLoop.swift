import NostrCore
import NostrPlatform

/// `publish-ip --watch [--interval S]`: the dynamic-DNS daemon. Every
/// interval (default 60 s) it looks at the addresses again; it republishes
/// when they change, and every `refreshSeconds` even when they do not, so
/// the record never goes stale: each record carries a NIP-40 expiration
/// three refresh periods ahead, and a host that stops publishing stops
/// resolving when it passes. Relays stay connected and are reconnected
/// with backoff; a STUN server asked for the address (`STUNProbe`) is
/// served by the same poll loop, so a silent one blocks neither the relays
/// nor SIGINT or SIGTERM, which end it with exit 0.
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
        // The interval's check waiting for a STUN answer: the probe runs in
        // the pool's poll(2) call, so relays stay served and a stop signal
        // is noticed while the STUN server is slow or silent.
        var probe: STUNProbe? = nil
        var local = PublishIPCommand.LocalAddresses(addresses: [], stun: nil, stunOptional: false)
        func complete(_ stun: Result<IPAddress, PlatformError>?) {
            do throws(CommandFailure) {
                let addresses = try PublishIPCommand.gatherFinish(local, stun: stun)
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
                retryMessage(error)
            }
        }
        func retryMessage(_ error: CommandFailure) {
            Output.stderr("nostr-dns publish-ip: " + error.message + "; trying again in " + RelayPool.seconds(o.interval) + "\n")
        }
        while !StopSignal.requested {
            let now = Clock.monotonicMilliseconds()
            if probe == nil && now >= nextCheck {
                nextCheck = now + o.interval
                do throws(CommandFailure) {
                    local = try PublishIPCommand.gatherLocal(o)
                    if let server = local.stun {
                        probe = STUNProbe(host: server.host, port: server.port, timeoutMilliseconds: o.timeout, now: now)
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
            Publishing.report(pool.takeEvents(), pending: pending, pool: pool, command: "publish-ip", globals)
            do throws(PlatformError) { try pool.turn(&poll, wakeAt: nextCheck, probe: probe) } catch { throw CommandFailure(error) }
        }
        probe?.cancel()
        pool.shutdown()
        return ExitCode.success
    }
}
