import NostrCore
import NostrPlatform

/// `--cache-keep PATH` and `--keep-interval S` of `dns` and `mdns` (issue
/// 17 item 7): a second, kept copy of the resolver cache for a router whose
/// working cache file (`--cache`) lives in RAM (/tmp on OpenWrt), written
/// from memory at most every `--keep-interval` seconds when the cache
/// changed, and at a clean stop (`CacheKeepSchedule`); loaded on start
/// when the working file is missing (after a reboot). Command-line only,
/// no config key: the config file is shared by both servers, whose cache
/// files must differ.
struct CacheKeepOptions {
    var path: String?
    var intervalSeconds: Int64?

    /// Consumes `arg` (and its value) if it is one of these options.
    mutating func consume(_ arg: String, _ args: inout Arguments) throws(UsageError) -> Bool {
        switch arg {
        case "--cache-keep": path = try args.value(for: arg)
        case "--keep-interval":
            let v = try args.integer(for: arg)
            guard v >= CacheKeepSchedule.minimumIntervalSeconds && v <= CacheKeepSchedule.maximumIntervalSeconds else {
                throw UsageError(
                    "--keep-interval must be between " + String(CacheKeepSchedule.minimumIntervalSeconds) + " and "
                        + String(CacheKeepSchedule.maximumIntervalSeconds) + " seconds")
            }
            intervalSeconds = v
        default: return false
        }
        return true
    }

    /// Refuses what cannot work: a kept copy without a working file
    /// (`--no-cache`), the kept copy on the working file itself, an
    /// interval without a kept copy.
    func check(cachePath: String?) throws(CommandFailure) {
        if intervalSeconds != nil && path == nil {
            throw CommandFailure("--keep-interval needs --cache-keep", exitCode: ExitCode.usage)
        }
        guard let path else { return }
        guard let cachePath else { throw CommandFailure("--cache-keep and --no-cache exclude each other", exitCode: ExitCode.usage) }
        if path == cachePath { throw CommandFailure("--cache-keep must name another file than --cache", exitCode: ExitCode.usage) }
    }

    /// The kept copy, given which file the cache was loaded from: loaded
    /// from the working file (a respawn), the cache is newer than the copy.
    func keep(loadedFrom source: CacheFileSource) -> CacheKeep? {
        guard let path else { return nil }
        return CacheKeep(
            path: path, intervalMilliseconds: (intervalSeconds ?? CacheKeepSchedule.defaultIntervalSeconds) * 1000,
            unkeptAtStart: source == .working)
    }

    static let usage = """
          --cache-keep PATH  a kept copy of the cache, for a --cache in RAM (/tmp):
                             written from memory at most every --keep-interval S
                             seconds when the cache changed (default 21600: 6 h;
                             60 to 604800) and at SIGINT/SIGTERM; loaded on start
                             when the --cache file is missing (after a reboot)

        """
}
