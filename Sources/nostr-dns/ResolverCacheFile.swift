import NostrPlatform

extension CachedResolver {
    /// Loads the cache file of the `command` server (`dns`, `mdns`) at
    /// `path`: every event verified as if a relay had sent it (a missing
    /// file is an empty cache). Says how many records were taken (at -v)
    /// and how many lines were refused (unless -q).
    func loadCacheFile(_ path: String, command: String, globals: GlobalOptions) throws(CommandFailure) {
        do throws(PlatformError) {
            let (taken, refused) = try load(path: path)
            if !globals.quiet && (globals.verbose || refused > 0) {
                Output.stderr("nostr-dns " + command + ": cache " + path + ": " + String(taken) + " records loaded"
                              + (refused > 0 ? ", " + String(refused) + " refused (bad or expired)" : "") + "\n")
            }
        } catch {
            throw CommandFailure("cache file: " + error.message)
        }
    }
}
