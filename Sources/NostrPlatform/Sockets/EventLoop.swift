import NostrCore

/// A server or long-lived command driven by `EventLoop`: the DNS server,
/// the mDNS responder, the HTTPS demo, the wsn:// gateway, the address
/// watcher, `resolve --follow`. Class-constrained and taken generically
/// (`run<S>`), so each loop specializes (Embedded Swift has no existentials).
public protocol EventLoopServer: AnyObject {
    /// Before each poll(2): the timers and whatever the relays brought
    /// since the last turn (`RelayPool.takeEvents`, resolver events).
    func tick(now: Int64)
    /// Adds the server's sockets to `poll`; returns when it wants to be
    /// woken at the latest (nil: only by its sockets, the relays or a signal).
    func register(in poll: inout PollSet, now: Int64) -> Int64?
    /// Serves the sockets of `register` that are ready.
    func handle(_ poll: PollSet, now: Int64) throws(PlatformError)
    /// The cache file could not be written (`why`), for the server's log.
    func cacheNotSaved(_ why: String)
    /// After the stop signal, once the relays are shut down and the cache
    /// saved: say goodbye, close what is open.
    func finish()
}

extension EventLoopServer {
    public func cacheNotSaved(_ why: String) {}
    public func finish() {}
}

/// The one poll loop of the servers and long-lived commands (like
/// dnsmasq's: one thread, nothing blocks). Each turn: the server's timers
/// (`tick`), the poll set rebuilt from the server's sockets and the relays'
/// (a `RelayPool`, or the pool of a `CachedResolver`), one poll(2) until
/// the earliest deadline of the server, the relays and the cache save,
/// then the ready sockets served, the relays driven, the cache file
/// saved when it changed and its interval passed, and its kept copy
/// written when it changed and its own, longer interval passed
/// (`CacheKeepSchedule`: flash is written rarely). Runs until SIGINT or
/// SIGTERM (`StopSignal`, whose self-pipe wakes poll(2) at once), or, for
/// a server run in-process, until its own `stop` is requested (another
/// self-pipe, polled with the sockets; no signal handler is installed
/// then); then saves the cache once more (and its kept copy, if it changed
/// since it was last written), shuts the relays down and lets the server
/// finish.
public struct EventLoop {
    /// The relay connections the loop drives besides the server's sockets.
    public enum Relays {
        case none
        case pool(RelayPool)
        /// A resolver cache and its pool; its cache file is saved by the
        /// loop, and its kept copy (`keep`, on flash) written rarely.
        case resolver(CachedResolver, cachePath: String?, keep: CacheKeep? = nil)
    }

    public var relays: Relays
    /// How often a changed cache file is written.
    public var saveIntervalMilliseconds = CachedResolver.saveIntervalMilliseconds
    /// The run's own stop (a server in-process: the Swift API); nil for
    /// the command-line tool, which stops on SIGINT and SIGTERM.
    public var stop: LoopStop?

    public init(relays: Relays = .none, stop: LoopStop? = nil) {
        self.relays = relays
        self.stop = stop
    }

    /// Runs `server` until a stop signal (after installing the handlers)
    /// or, with `stop`, until it is requested: a run with its own stop
    /// ignores the process-wide signal flag, which belongs to the program
    /// that embeds it. A failing poll(2) ends it with that error (nothing
    /// saved).
    public func run<S: EventLoopServer>(_ server: S) throws(PlatformError) {
        if stop == nil { StopSignal.install() }
        var now = Clock.monotonicMilliseconds()
        var nextSave = Int64.max
        var keep: CacheKeepSchedule? = nil
        switch relays {
        case .none: break
        case .pool(let pool): pool.start(now: now)
        case .resolver(let resolver, let path, let kept):
            resolver.start(now: now)
            if path != nil { nextSave = now + saveIntervalMilliseconds }
            if let kept {
                keep = CacheKeepSchedule(intervalMilliseconds: kept.intervalMilliseconds, now: now, unkept: kept.unkeptAtStart)
            }
        }
        var poll = PollSet()
        poll.watchesStopSignal = stop == nil
        var stopRequested = false
        while !stopRequested {
            if stop == nil && StopSignal.requested { break }
            server.tick(now: now)
            poll.removeAll()
            var wake = min(nextSave, keep?.nextDeadline ?? Int64.max, server.register(in: &poll, now: now) ?? Int64.max)
            switch relays {
            case .none:
                break
            case .pool(let pool):
                pool.register(in: &poll)
                if let next = pool.nextDeadline() { wake = min(wake, next) }
            case .resolver(let resolver, _, _):
                resolver.register(in: &poll)
                if let next = resolver.nextDeadline() { wake = min(wake, next) }
            }
            let stopSlot = stop.map { poll.add(fd: $0.readEnd, interest: .read) }
            _ = try poll.wait(timeoutMilliseconds: Clock.pollTimeout(until: wake))
            if let stopSlot { stopRequested = !poll.ready(stopSlot).isEmpty }
            now = Clock.monotonicMilliseconds()
            try server.handle(poll, now: now)
            switch relays {
            case .none:
                break
            case .pool(let pool):
                pool.handle(poll, now: now)
                pool.tick(now: now)
            case .resolver(let resolver, _, _):
                resolver.handle(poll, now: now)
                resolver.tick(now: now)
                // Before the working save clears it.
                if resolver.changed { keep?.cacheChanged() }
            }
            if now >= nextSave {
                nextSave = now + saveIntervalMilliseconds
                saveCache(server)
            }
            if keep?.due(now: now) == true { keepCache(server, &keep) }
        }
        switch relays {
        case .none:
            break
        case .pool(let pool):
            pool.shutdown()
        case .resolver(let resolver, _, _):
            if resolver.changed { keep?.cacheChanged() }
            saveCache(server)
            if keep?.dueAtStop() == true { keepCache(server, &keep) }
            resolver.pool.shutdown()
        }
        server.finish()
    }

    func saveCache<S: EventLoopServer>(_ server: S) {
        guard case .resolver(let resolver, let path, _) = relays else { return }
        if let why = resolver.saveCacheFileIfChanged(path) { server.cacheNotSaved(why) }
    }

    /// Writes the kept copy the schedule asked for; a failure is said and
    /// leaves it to be written at the next interval or at the stop.
    func keepCache<S: EventLoopServer>(_ server: S, _ schedule: inout CacheKeepSchedule?) {
        guard case .resolver(let resolver, _, let kept?) = relays else { return }
        if let why = resolver.writeKeptCopy(kept.path) {
            server.cacheNotSaved(why)
            schedule?.failed()
        }
    }
}
