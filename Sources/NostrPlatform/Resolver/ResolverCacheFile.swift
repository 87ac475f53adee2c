import CPlatform
import NostrCore

/// The cache file of the two servers (`dns`, `mdns`): loaded and verified
/// on start, saved every `saveIntervalMilliseconds` when it changed and on
/// exit (by `EventLoop`), so that a router that reboots without internet
/// still answers; and its kept copy (`--cache-keep`, issue 17 item 7), for
/// a working file in RAM: written from memory on a much longer schedule
/// (`CacheKeepSchedule`), loaded when the working file is missing.
extension CachedResolver {
    /// How often a changed cache is written (5 minutes: a little flash wear
    /// for at most 5 minutes of names lost to a power cut).
    public static let saveIntervalMilliseconds: Int64 = 300_000

    /// Loads the cache file of the `command` server at `path`: every event
    /// verified as if a relay had sent it (a missing file is an empty
    /// cache). Says how many records were taken (at `verbose`) and how many
    /// lines were refused (unless `quiet`).
    ///
    /// A cache file never stops a start: one that cannot be loaded (a
    /// symbolic link, a FIFO, device or folder, a file over the size limit,
    /// an unreadable one) is set aside (`CacheFile.setAside`: a regular file
    /// is renamed to `path.bad`, anything else left where it is) with a
    /// one-line warning, even when `quiet`, and the server starts with an
    /// empty cache, so that systemd or procd do not restart it forever.
    ///
    /// A clock behind the file's save time is said in one line (unless
    /// `quiet`): the records are kept, stale, until a relay confirms them.
    ///
    /// Returns whether the file was there and loaded (false: missing, or
    /// set aside).
    @discardableResult
    public func loadCacheFile(_ path: String, command: String, verbose: Bool, quiet: Bool, now: Int64 = Clock.unixTime()) -> Bool {
        let loaded: CacheFileLoad
        do throws(PlatformError) {
            guard try FileIO.lstatus(path) != nil else { return false }
            loaded = try load(path: path, now: now)
        } catch {
            Output.stderr("nostr-dns " + command + ": " + Self.setAside(path, error) + "\n")
            return false
        }
        if !quiet && loaded.clockBehind > 0 {
            Output.stderr(
                "nostr-dns " + command + ": the clock is " + String(loaded.clockBehind) + " s behind the time cache " + path
                    + " was saved at; its records are kept as of then, stale until a relay confirms them\n")
        }
        if !quiet && (verbose || loaded.refused > 0) {
            Output.stderr(
                "nostr-dns " + command + ": cache " + path + ": " + String(loaded.taken) + " records loaded"
                    + (loaded.refused > 0 ? ", " + String(loaded.refused) + " refused (bad or expired)" : "") + "\n")
        }
        return true
    }

    /// Loads the cache of the `command` server from its working file
    /// `path` (`--cache`) when it is there (a respawn: on OpenWrt it lives
    /// in /tmp, which survives a restart of the service but not a reboot),
    /// else from the kept copy `keep` (`--cache-keep`, on flash: after a
    /// reboot), each with the rules of `loadCacheFile` (verified, set aside
    /// when it cannot be loaded, never stopping a start). A working file
    /// that was set aside falls back to the kept copy. Says which it was.
    public func loadCacheFiles(
        _ path: String, keep: String?, command: String, verbose: Bool, quiet: Bool, now: Int64 = Clock.unixTime()
    ) -> CacheFileSource {
        if loadCacheFile(path, command: command, verbose: verbose, quiet: quiet, now: now) { return .working }
        guard let keep, keep != path else { return .none }
        return loadCacheFile(keep, command: command, verbose: verbose, quiet: quiet, now: now) ? .kept : .none
    }

    /// Sets the cache file at `path` aside after `error`, and says what
    /// became of it (one line, without the newline).
    static func setAside(_ path: String, _ error: PlatformError) -> String {
        let what = error.message + "; "
        switch CacheFile.setAside(path: path) {
        case .renamed(let bad):
            return what + "set aside as " + bad + ", starting with an empty cache"
        case .leftInPlace:
            if error.code == .notRegularFile && error.errno == EISDIR {
                return what + "starting with an empty cache, which cannot be saved while the folder is there"
            }
            return what + "left in place, starting with an empty cache (the next save replaces it)"
        }
    }

    /// Writes the cache file at `path` (none: nothing) if the cache changed
    /// since the last save. Returns why it could not be written.
    public func saveCacheFileIfChanged(_ path: String?) -> String? {
        guard let path, changed else { return nil }
        do throws(PlatformError) { try save(path: path) } catch { return "cannot save the cache: " + error.message }
        return nil
    }

    /// Writes the kept copy at `path` (`--cache-keep`) from the cache in
    /// memory, with the rules of the cache file (`CacheFile.write`: a
    /// temporary file beside it, 0600, O_NOFOLLOW, renamed over it); the
    /// working file's `changed` is left as it is. Returns why it could not
    /// be written.
    public func writeKeptCopy(_ path: String) -> String? {
        do throws(PlatformError) { try write(path: path) } catch { return "cannot keep the cache: " + error.message }
        return nil
    }
}

/// Which file `CachedResolver.loadCacheFiles` loaded.
public enum CacheFileSource: Equatable, Sendable {
    /// Neither (missing, or set aside): an empty cache.
    case none
    /// The working file (`--cache`).
    case working
    /// The kept copy (`--cache-keep`).
    case kept
}

/// The kept copy of the resolver cache (`--cache-keep`, issue 17 item 7):
/// where it is, how often it may be written (`CacheKeepSchedule`), and
/// whether the cache in memory is already newer than it at the start (it
/// was loaded from the working file, saved more often).
public struct CacheKeep: Sendable {
    public var path: String
    public var intervalMilliseconds: Int64
    public var unkeptAtStart: Bool

    public init(
        path: String, intervalMilliseconds: Int64 = CacheKeepSchedule.defaultIntervalSeconds * 1000, unkeptAtStart: Bool = false
    ) {
        self.path = path
        self.intervalMilliseconds = intervalMilliseconds
        self.unkeptAtStart = unkeptAtStart
    }
}

/// What `CachedResolver.load` did.
public struct CacheFileLoad: Equatable, Sendable {
    /// Events taken (records, and expired newest records kept as watermarks).
    public var taken = 0
    /// Lines refused (bad, tampered, from the future, or older than the newest).
    public var refused = 0
    /// The file's save time (its `#saved` line), if it has one.
    public var savedAt: Int64? = nil
    /// How far the clock was behind `savedAt` (0 when it was not): the
    /// events were then judged at `savedAt` (see `CachedResolver.load`).
    public var clockBehind: Int64 = 0

    public init(taken: Int = 0, refused: Int = 0, savedAt: Int64? = nil, clockBehind: Int64 = 0) {
        self.taken = taken
        self.refused = refused
        self.savedAt = savedAt
        self.clockBehind = clockBehind
    }
}

/// The cache file's format: lines of `<confirmed unix time> <event JSON>`,
/// one per signed event (the expired newest record of a name included: it
/// is the watermark that no older record passes, issue 16 item 3a), after
/// a first line `#saved <unix time>` (when it was written). Files without
/// that line (older versions) load as before; older versions count the
/// line as one refused.
extension CachedResolver {
    static let savedPrefix: StaticString = "#saved "

    /// The cache file's size limit for this resolver's cache
    /// (`CacheFile.limit(byteBudget:)`): what `save` writes at most and
    /// `load` reads at most.
    public var cacheFileLimit: Int { CacheFile.limit(byteBudget: cache.byteBudget) }

    /// Writes every cached signed event to `path` (atomically: a temporary
    /// file beside it, then rename), after the `#saved` line. At most
    /// `cacheFileLimit` bytes: an event whose line would pass it is left out
    /// (the cache's byte budget makes that rare: hostile records full of
    /// JSON escapes).
    public func save(path: String, now: Int64 = Clock.unixTime()) throws(PlatformError) {
        try write(path: path, now: now)
        changed = false
    }

    /// What `save` writes, without marking the cache saved (the kept copy).
    func write(path: String, now: Int64 = Clock.unixTime()) throws(PlatformError) {
        let limit = cacheFileLimit
        var out: [UInt8] = []
        out.append(contentsOf: UnsafeBufferPointer(start: Self.savedPrefix.utf8Start, count: Self.savedPrefix.utf8CodeUnitCount))
        out.append(contentsOf: String(now).utf8)
        out.append(0x0A)
        var writer = JSONWriter(capacity: 1024)
        for key in cache.keys {
            guard let entry = cache.peek(key) else { continue }
            for e in entry.events(author: key.author) {
                writer.reset()
                e.write(into: &writer)
                let confirmed = String(entry.confirmedAt)
                guard out.count + confirmed.utf8.count + 2 + writer.bytes.count <= limit else { continue }
                out.append(contentsOf: confirmed.utf8)
                out.append(0x20)
                out.append(contentsOf: writer.bytes)
                out.append(0x0A)
            }
        }
        try CacheFile.write(path: path, out)
    }

    /// Reads the cache file at `path` (a missing file is an empty cache),
    /// at most `cacheFileLimit` bytes. Every event is checked as if a relay
    /// had sent it (id, signature, author, kind, `d`, size, shape, not
    /// older than the newest); entries come back stale (they must be
    /// confirmed by a relay), keeping the time they were last confirmed so
    /// that `maxStale` counts from it. A file that cannot be read to its
    /// end (it grew past the limit, a read failed) adds nothing.
    ///
    /// A clock behind the file's save time (a Raspberry Pi without a
    /// real-time clock, rebooted offline: issue 16 item 10): the events are
    /// judged at the save time instead of `now` (from the future up to the
    /// save time + 15 minutes; expired by the save time), since the clock
    /// was at least there once; they come back stale at `now`, so relays
    /// confirm them once they can be reached. `clockBehind` says by how much.
    @discardableResult
    public func load(path: String, now: Int64 = Clock.unixTime()) throws(PlatformError) -> CacheFileLoad {
        var result = CacheFileLoad()
        var judgedAt = now
        var reader = JSONReader()
        // What was cached before (nothing, at a server's start): a file
        // that fails part-way is undone by removing every other key, not
        // by keeping a list of the keys it added, which would cost a heap
        // allocation per name and leave the heap fragmented (resident
        // memory, Tests/bench/dns-memory.sh).
        let before = Set(cache.keys)
        let found: Bool
        do throws(PlatformError) {
            found = try CacheFile.forEachLine(path: path, limit: cacheFileLimit) { line in
                guard !line.isEmpty else { return }
                if let saved = Self.savedTime(line) {
                    result.savedAt = saved
                    judgedAt = max(now, saved)
                    result.clockBehind = judgedAt - now
                    return
                }
                guard let space = line.firstIndex(of: 0x20), let confirmed = Self.decimal(line[line.startIndex..<space]) else {
                    result.refused += 1
                    return
                }
                let event: Event
                do throws(NostrError) {
                    event = try Event(json: Array(line[(space + 1)...]), reader: &reader)
                } catch {
                    result.refused += 1
                    return
                }
                if let key = cache.offer(event, now: judgedAt, context: context, create: true) {
                    cache.markStale(key, confirmedAt: min(confirmed, now), now: now)
                    result.taken += 1
                } else {
                    result.refused += 1
                }
            }
        } catch {
            for key in cache.keys where !before.contains(key) { cache.remove(key) }
            throw error
        }
        guard found else { return CacheFileLoad() }
        Memory.releaseFreePages()
        return result
    }

    /// The time of a `#saved <unix time>` line; nil for any other line.
    static func savedTime(_ line: ArraySlice<UInt8>) -> Int64? {
        let prefix = UnsafeBufferPointer(start: savedPrefix.utf8Start, count: savedPrefix.utf8CodeUnitCount)
        guard line.starts(with: prefix) else { return nil }
        return decimal(line[(line.startIndex + prefix.count)...])
    }

    static func decimal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var v: Int64 = 0
        for c in bytes {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int64(c - 0x30)
        }
        return v
    }
}

/// The resolver cache as the `nostr.` zone's lookup (`NostrZoneResponder`):
/// a name not cached starts a lookup on the relays and is `.pending`.
extension CachedResolver: NostrZoneLookup {
    public func records(_ key: ResolverKey, now: Int64) -> NostrZoneRecords {
        switch lookup(key, now: now) {
        case .found(let entry, let ttl, _): return .found(addresses: entry.addresses, tlsKeys: entry.tlsKeys, ttl: ttl)
        case .notFound(let ttl): return .notFound(ttl: ttl)
        case .pending: return .pending
        }
    }
}
