import CPlatform
import NostrCore

/// The cache file of the two servers (`dns`, `mdns`): loaded and verified
/// on start, saved every `saveIntervalMilliseconds` when it changed and on
/// exit (by `EventLoop`), so that a router that reboots without internet
/// still answers.
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
    public func loadCacheFile(_ path: String, command: String, verbose: Bool, quiet: Bool) {
        let taken: Int
        let refused: Int
        do throws(PlatformError) {
            (taken, refused) = try load(path: path)
        } catch {
            Output.stderr("nostr-dns " + command + ": " + Self.setAside(path, error) + "\n")
            return
        }
        if !quiet && (verbose || refused > 0) {
            Output.stderr(
                "nostr-dns " + command + ": cache " + path + ": " + String(taken) + " records loaded"
                    + (refused > 0 ? ", " + String(refused) + " refused (bad or expired)" : "") + "\n")
        }
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
